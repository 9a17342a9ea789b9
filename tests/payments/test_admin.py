from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecommerce_kit.payments.models import GatewayCallLog, WebhookEvent
from ecommerce_kit.payments.states import PaymentStatus
from tests.factories import StaffFactory, UserFactory
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_pages_show_payments_events_and_calls(admin_client_: Client) -> None:
    payment = make_payment(reference="dummy_1")
    WebhookEvent.objects.create(
        gateway="dummy",
        event_id="e1",
        payment=payment,
        event_type="payment.captured",
        outcome="captured",
    )
    call = GatewayCallLog.objects.create(
        gateway="dummy", method="POST", url="https://x/pay", outcome="ok", status_code=200
    )
    pages = [
        reverse("admin:ecommerce_kit_payments_payment_changelist"),
        reverse("admin:ecommerce_kit_payments_payment_change", args=[payment.pk]),
        reverse("admin:ecommerce_kit_payments_webhookevent_changelist"),
        reverse("admin:ecommerce_kit_payments_gatewaycalllog_changelist"),
        reverse("admin:ecommerce_kit_payments_gatewaycalllog_change", args=[call.pk]),
    ]
    for url in pages:
        response = admin_client_.get(url)
        assert response.status_code == 200, url
    assert payment.order.number in admin_client_.get(pages[0]).content.decode()


def test_admin_cannot_edit_payments(admin_client_: Client) -> None:
    payment = make_payment()
    url = reverse("admin:ecommerce_kit_payments_payment_change", args=[payment.pk])
    response = admin_client_.post(url, {"status": "refunded"})
    assert response.status_code == 403
    assert admin_client_.get(reverse("admin:ecommerce_kit_payments_payment_add")).status_code == 403


def test_admin_action_captures_authorized_payments(
    admin_client_: Client, gateways_config: dict[str, Any]
) -> None:
    payment = make_payment(status=PaymentStatus.AUTHORIZED)
    response = admin_client_.post(
        reverse("admin:ecommerce_kit_payments_payment_changelist"),
        {"action": "capture_authorized", "_selected_action": [payment.pk]},
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "captured"


def _staff_client(*grants: str) -> Client:
    client = Client()
    client.force_login(StaffFactory(permissions=["ecommerce_kit_payments.view_payment", *grants]))
    return client


def test_view_only_staff_see_no_capture_action_and_cannot_forge_it(
    gateways_config: dict[str, Any],
) -> None:
    payment = make_payment(status=PaymentStatus.AUTHORIZED)
    client = _staff_client()
    changelist = reverse("admin:ecommerce_kit_payments_payment_changelist")

    response = client.get(changelist)
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert "capture_authorized" not in response.content.decode()

    client.post(changelist, {"action": "capture_authorized", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED


def test_staff_with_capture_payment_capture_authorized_payments(
    gateways_config: dict[str, Any],
) -> None:
    payment = make_payment(status=PaymentStatus.AUTHORIZED)
    client = _staff_client("ecommerce_kit_payments.capture_payment")
    changelist = reverse("admin:ecommerce_kit_payments_payment_changelist")

    assert "capture_authorized" in client.get(changelist).content.decode()
    response = client.post(
        changelist, {"action": "capture_authorized", "_selected_action": [payment.pk]}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
