"""A capture of less than the amount due never pays the order: the money taken is given back.

Some providers approve part of an amount (a prepaid card with too little on it). Such an order is
not paid: confirming it would ship goods for a fraction of their price. The short capture is
recorded, refunded at once through the gateway, and the order stays ``pending`` so that the buyer
can pay again (or the payment timeout cancels it).
"""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.payments.base import Outcome, PaymentResult
from ecommerce_kit.payments.models import Payment, Refund, WebhookEvent
from ecommerce_kit.payments.services import start_payment
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_order, make_payment
from tests.payments.helpers import signed_webhook

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/dummy/"


def _post(client: Any, payment: Payment, amount: str, event_id: str = "evt_short") -> Any:
    body, headers = signed_webhook(
        {
            "event_id": event_id,
            "payment_id": payment.pk,
            "type": "payment.captured",
            "amount": {"amount": amount, "currency": payment.currency},
        }
    )
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_short_capture_webhook_leaves_the_order_pending_and_refunds_it(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, payment, "1.00")

    assert response.status_code == 200, response.content
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.captured == Money("1.00", "AOA") == payment.refunded
    assert payment.order.status == "pending"
    assert list(Refund.objects.values_list("amount", "status")) == [(1, "succeeded")]
    assert WebhookEvent.objects.get().outcome == "captured"


def test_order_of_a_short_capture_can_be_paid_again(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(total="300.00")
    short = make_payment(order=order, status=PaymentStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, short, "299.99")

    with django_capture_on_commit_callbacks(execute=True):
        payment = start_payment(
            order=order, gateway_id="dummy", payment_data={"token": "tok_success"}, actor=None
        )

    order.refresh_from_db()
    assert order.status == "confirmed"
    assert payment.status == PaymentStatus.CAPTURED and payment.captured == order.total


def test_full_capture_webhook_still_confirms_the_order(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, payment, "300.00").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED and payment.refunded == Money(0, "AOA")
    assert payment.order.status == "confirmed"
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["0", "0.00"])
def test_capture_webhook_of_nothing_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any], amount: str
) -> None:
    # It was booked as a capture of the whole amount, confirming an unpaid order.
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)

    response = _post(client, payment, amount)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.order.status == "pending"
    assert not WebhookEvent.objects.exists()


def test_short_capture_answered_by_the_gateway_is_given_back(
    scripted_gateway: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = make_order(total="300.00")

    def partial_approval(**kwargs: Any) -> PaymentResult:
        return PaymentResult(
            outcome=Outcome.CAPTURED, reference="ref-1", captured=Money("120.00", "AOA")
        )

    monkeypatch.setattr(scripted_gateway, "create_payment", partial_approval)

    with django_capture_on_commit_callbacks(execute=True):
        payment = start_payment(order=order, gateway_id="scripted", payment_data={}, actor=None)

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "pending"
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.captured == Money("120.00", "AOA") == payment.refunded
