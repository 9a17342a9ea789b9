"""Multicaixa Express: the payment is pushed to the buyer's phone, and their answer comes back
by webhook."""

from __future__ import annotations

from typing import Any

import pytest
from ecommerce_kit_multicaixa.gateway import normalize_phone
from ecommerce_kit_multicaixa.testing import UNREGISTERED_PHONE, FakeMulticaixa

from ecommerce_kit.exceptions import PaymentDeclinedError
from ecommerce_kit.payments.models import GatewayCallLog, Payment
from ecommerce_kit.payments.services import handle_webhook, start_payment
from ecommerce_kit.testing.factories import create_order

PHONE = "+244 923 456 789"


def deliver(fake: FakeMulticaixa, gateway_id: str = "multicaixa_express") -> list[str]:
    """Send the provider's waiting webhooks to the kit; return what each did."""
    return [
        handle_webhook(gateway_id=gateway_id, body=body, headers=headers)
        for body, headers in fake.send_webhooks()
    ]


def pay_by_phone(phone: str = PHONE) -> tuple[Any, Any]:
    order = create_order()
    payment = start_payment(
        order=order, gateway_id="multicaixa_express", payment_data={"phone": phone}, actor=None
    )
    return order, payment


@pytest.mark.parametrize(
    "written", ["+244923456789", "+244 923 456 789", "923456789", "923-456-789", "00244923456789"]
)
def test_angolan_mobile_numbers_are_read_in_any_usual_form(written: str) -> None:
    assert normalize_phone(written) == "+244923456789"


@pytest.mark.parametrize(
    "written",
    [None, 923456789, "", "+244 823 456 789", "92345678", "9234567890", "+351923456789", "abc"],
)
def test_other_values_are_not_phone_numbers(written: Any) -> None:
    assert normalize_phone(written) is None


@pytest.mark.django_db
def test_payment_is_pushed_to_the_phone_and_waits_for_the_buyer(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order, payment = pay_by_phone()
    assert payment.status == "pending" and order.status == "pending"
    made = fake_provider.payments[payment.reference]
    assert (made.kind, made.phone, made.status) == ("express", "+244923456789", "open")
    assert payment.next_action == {
        "type": "reference",
        "entity": "11223",
        "reference": made.reference,
        "expires_at": made.expires_at,
    }
    request = fake_provider.requests[0]
    assert (request.method, request.path) == ("POST", "/express/requests")
    assert request.headers["Idempotency-Key"] == payment.idempotency_key
    body = request.payload
    assert body["expires_in"] == 300 and body["merchant_reference"] == order.number
    log = GatewayCallLog.objects.get()
    assert "923456789" not in log.request_body  # the buyer's phone stays out of the call log


@pytest.mark.django_db
def test_buyer_accepts_the_push_and_the_order_is_confirmed(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order, payment = pay_by_phone()
    fake_provider.pay(payment.reference)
    assert deliver(fake_provider) == ["captured"]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "captured" and payment.captured == payment.amount
    assert order.status == "confirmed"


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["reject", "expire"])
def test_a_rejected_or_expired_push_fails_the_payment_and_the_buyer_may_pay_again(
    multicaixa: Any, fake_provider: FakeMulticaixa, answer: str
) -> None:
    order, payment = pay_by_phone()
    getattr(fake_provider, answer)(payment.reference)
    assert deliver(fake_provider) == ["failed"]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "failed" and order.status == "pending"
    again = start_payment(
        order=order, gateway_id="multicaixa_express", payment_data={"phone": PHONE}, actor=None
    )
    assert again.status == "pending" and again.reference != payment.reference


@pytest.mark.django_db
@pytest.mark.parametrize("payment_data", [{}, {"phone": "12345"}, {"phone": 923456789}])
def test_a_missing_or_foreign_phone_is_declined_without_calling_the_provider(
    multicaixa: Any, fake_provider: FakeMulticaixa, payment_data: dict[str, Any]
) -> None:
    order = create_order()
    with pytest.raises(PaymentDeclinedError):
        start_payment(
            order=order, gateway_id="multicaixa_express", payment_data=payment_data, actor=None
        )
    payment = Payment.objects.get(order=order)
    assert payment.status == "failed"
    assert "+244 9XX XXX XXX" in payment.failure_message
    assert fake_provider.requests == []


@pytest.mark.django_db
def test_a_phone_without_the_express_app_is_declined_by_the_provider(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    with pytest.raises(PaymentDeclinedError):
        pay_by_phone(UNREGISTERED_PHONE)
    payment = Payment.objects.get()
    assert payment.status == "failed"
    assert payment.failure_message == "This phone has no Multicaixa Express app."
    assert fake_provider.payments == {}
