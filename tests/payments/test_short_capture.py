"""A capture of less than the amount due never pays the order, and never lets it ship.

Some providers approve part of an amount (a prepaid card with too little on it), or capture less
than the kit asked for. The capture is booked as it is (the rest of the authorization is released)
and the order's money status says ``partial``: the order is ``on_hold`` (whether it was pending or
confirmed) and no fulfilment may move. The money stays held until staff refund it or
the order is cancelled (by the buyer, staff or the payment timeout), which gives it back.
"""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.exceptions import GatewayError, InvalidTransitionError, PaymentInProgressError
from ecommerce_kit.orders.services import cancel_order, process_fulfilment
from ecommerce_kit.payments.base import CaptureResult, Outcome, PaymentResult
from ecommerce_kit.payments.models import LedgerEntry, Payment, WebhookEvent
from ecommerce_kit.payments.services import capture_payment, start_payment
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


def test_short_capture_webhook_leaves_the_order_pending_with_a_partial_charge(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, payment, "1.00")

    assert response.status_code == 200, response.content
    payment.refresh_from_db()
    order = payment.order
    order.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured == Money("1.00", "AOA")
    assert payment.voided == Money("299.00", "AOA")  # the rest is released
    assert order.status == "on_hold"
    assert (order.charge_status, order.authorize_status) == ("partial", "partial")
    assert order.held == Money("1.00", "AOA")
    assert order.hold_reason == "Held 1.00 AOA of 300.00 AOA owed."
    assert WebhookEvent.objects.get().outcome == "captured"
    # The payment holds money: no second payment starts while it does.
    with pytest.raises((PaymentInProgressError, InvalidTransitionError)):
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)


def test_cancelling_the_order_of_a_short_capture_gives_it_back(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, payment, "120.00")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=payment.order_id, actor=None)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded == payment.captured == Money("120.00", "AOA")
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.state, refund.reason) == ("succeeded", "release")


def test_full_capture_webhook_confirms_the_order(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, payment, "300.00").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED and payment.refunded == Money(0, "AOA")
    assert payment.order.status == "confirmed"
    assert payment.order.charge_status == "full"
    assert not LedgerEntry.objects.filter(kind="refund").exists()


@pytest.mark.parametrize(("amount", "currency"), [("0", "AOA"), ("0.00", "AOA"), ("300.00", "USD")])
def test_capture_webhook_of_nothing_or_another_currency_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any], amount: str, currency: str
) -> None:
    payment = make_payment(order=make_order(total="300.00"), status=PaymentStatus.PENDING)
    body, headers = signed_webhook(
        {
            "event_id": "evt_bad",
            "payment_id": payment.pk,
            "type": "payment.captured",
            "amount": {"amount": amount, "currency": currency},
        }
    )

    response = client.post(URL, data=body, content_type="application/json", **headers)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.order.status == "pending"
    assert not WebhookEvent.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_short_capture_answered_at_checkout_does_not_pay_the_order(
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
    assert order.status == "on_hold" and order.charge_status == "partial"
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured == Money("120.00", "AOA")


@pytest.mark.parametrize(
    "captured", [Money("300.00", "USD"), Money("0.00", "AOA"), Money("300.01", "AOA")]
)
def test_gateway_answer_capturing_another_currency_zero_or_too_much_is_refused(
    scripted_gateway: Any, monkeypatch: pytest.MonkeyPatch, captured: Money
) -> None:
    order = make_order(total="300.00")
    monkeypatch.setattr(
        scripted_gateway,
        "create_payment",
        lambda **kwargs: PaymentResult(outcome=Outcome.CAPTURED, reference="r", captured=captured),
    )
    with pytest.raises(GatewayError):
        start_payment(order=order, gateway_id="scripted", payment_data={}, actor=None)
    order.refresh_from_db()
    payment = order.payments.get()
    assert payment.status == PaymentStatus.FAILED and payment.captured == Money(0, "AOA")
    assert order.status == "pending" and order.charge_status == "none"


def test_authorization_then_short_capture_puts_the_order_on_hold(
    scripted_gateway: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.factories import ProductFactory
    from tests.orders.factories import make_order as make_store_order

    order = make_store_order(lines=[(ProductFactory(price=Money("300.00", "AOA")), 1)])
    payment = make_payment(order=order, gateway="scripted", status=PaymentStatus.AUTHORIZED)
    order.refresh_from_db()
    assert order.status == "confirmed"
    scripted_gateway.capture_result = CaptureResult(
        ok=True, reference="cap-1", amount=Money("100.00", "AOA")
    )

    with django_capture_on_commit_callbacks(execute=True):
        payment = capture_payment(payment_id=payment.pk, actor=staff)

    order.refresh_from_db()
    assert payment.captured == Money("100.00", "AOA") and payment.authorized == Money(0, "AOA")
    assert order.status == "on_hold"
    assert (order.charge_status, order.authorize_status) == ("partial", "partial")
    assert "100.00" in order.hold_reason and "300.00" in order.hold_reason
    fulfilment = order.fulfilments.get()
    from ecommerce_kit.exceptions import PaymentMissingError

    with pytest.raises((PaymentMissingError, InvalidTransitionError)):
        process_fulfilment(fulfilment_id=fulfilment.pk, actor=fulfilment.store.owner)
    fulfilment.refresh_from_db()
    assert fulfilment.status == "pending"
