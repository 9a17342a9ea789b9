"""Staff see the order e-mails in the admin and may send again those that may not have arrived."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ecommerce_kit.orders.models import OrderEmail
from tests.emails.helpers import place_order
from tests.factories import ProductFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:ecommerce_kit_orders_orderemail_changelist"


@pytest.fixture
def order(kit_settings: Any) -> Any:
    kit_settings(EMAILS={"fulfilment_due": False})
    return place_order(UserFactory(), [(ProductFactory(), 1)])


def test_changelist_lists_the_emails(admin_client: Any, order: Any) -> None:
    response = admin_client.get(reverse(CHANGELIST), {"state": "sent"})

    assert response.status_code == 200
    html = response.content.decode()
    assert order.number in html and order.buyer.email in html


@pytest.mark.parametrize("state", ["failed", "skipped", "sending"])
def test_staff_send_again_an_email_that_may_not_have_arrived(
    admin_client: Any, order: Any, mailoutbox: Any, state: str
) -> None:
    email = order.emails.get()
    OrderEmail.objects.filter(pk=email.pk).update(state=state)
    mailoutbox.clear()

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "send_again", "_selected_action": [email.pk]}
    )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.state == "sent"


def test_a_sent_email_is_not_sent_again(admin_client: Any, order: Any, mailoutbox: Any) -> None:
    mailoutbox.clear()
    admin_client.post(
        reverse(CHANGELIST), {"action": "send_again", "_selected_action": [order.emails.get().pk]}
    )
    assert mailoutbox == []


def test_send_again_needs_the_change_permission(client: Any, order: Any, mailoutbox: Any) -> None:
    email = order.emails.get()
    OrderEmail.objects.filter(pk=email.pk).update(state="failed")
    viewer = StaffFactory(permissions=["ecommerce_kit_orders.view_orderemail"])
    client.force_login(viewer)
    mailoutbox.clear()

    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and "send_again" not in page.content.decode()
    client.post(reverse(CHANGELIST), {"action": "send_again", "_selected_action": [email.pk]})

    assert mailoutbox == []
    email.refresh_from_db()
    assert email.state == "failed"
