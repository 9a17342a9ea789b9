"""The ledger under real concurrency: threads with their own connections, on SQLite and PostgreSQL.

- Ten concurrent ``pay/`` requests without an ``Idempotency-Key`` make one gateway call.
- A refund racing the provider's webhook about it is booked once, whichever lands first.
- Twenty duplicated webhooks of mixed types delivered at once end in the state their natural
  order gives.
"""

from __future__ import annotations

import json
import random
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from moneyed import Money
from rest_framework.test import APIClient

from ecommerce_kit.payments.base import RefundResult
from ecommerce_kit.payments.dummy import sign
from ecommerce_kit.payments.models import LedgerEntry, Payment
from ecommerce_kit.payments.services import handle_webhook, refund_order
from ecommerce_kit.payments.states import PaymentStatus
from tests.orders.threads import run_together
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.factories import make_order, make_payment

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _body(payment: Payment, **event: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"payment_id": payment.pk, **event}).encode()
    return body, {"X-Dummy-Signature": sign(body, WEBHOOK_SECRET)}


def test_ten_concurrent_pay_requests_make_one_gateway_call(scripted_gateway: Any) -> None:
    order = make_order(total="500.00")
    make_payment(order=order, gateway="scripted", status=PaymentStatus.FAILED)
    lock = threading.Lock()

    def pay() -> tuple[int, str]:
        client = APIClient()
        client.force_authenticate(user=order.buyer)
        response = client.post(
            f"/api/v1/orders/{order.number}/pay/",
            {"payment_method": "scripted", "payment_data": {"token": "tok_pending"}},
            format="json",
        )
        return response.status_code, response.json().get("code", "")

    original = scripted_gateway._record

    def record(name: str) -> None:
        with lock:
            original(name)

    scripted_gateway._record = record
    results = run_together([pay for _ in range(10)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(results) == [(201, "")] + [(409, "payment_in_progress")] * 9, results
    assert [name for name, _ in scripted_gateway.calls] == ["create_payment"]
    live = Payment.objects.filter(order=order, status=PaymentStatus.PENDING)
    assert live.count() == 1


@pytest.mark.parametrize("names", ["key", "reference"])
@pytest.mark.parametrize("webhook_first", [True, False])
def test_a_refund_racing_its_own_webhook_is_booked_once(
    scripted_gateway: Any, names: str, webhook_first: bool
) -> None:
    payment = make_payment(gateway="scripted")  # 1000.00 captured
    inside = threading.Event()
    answered = threading.Event()
    delivered = threading.Event()

    def provider_refunds() -> None:
        # The provider has refunded (its reference is known to it now): its webhook and its
        # answer race each other.
        entry = LedgerEntry.objects.get(kind="refund")
        scripted_gateway.refund_result = RefundResult(ok=True, reference=f"re_{entry.pk}")
        inside.set()
        if webhook_first:
            assert delivered.wait(timeout=20)

    scripted_gateway.on_refund = provider_refunds

    def refund() -> Any:
        try:
            return refund_order(order=payment.order, amount=Money("300.00", "AOA"), actor=None)
        finally:
            answered.set()

    def webhook() -> str:
        assert inside.wait(timeout=20)
        if not webhook_first:
            assert answered.wait(timeout=20)
        entry = LedgerEntry.objects.get(kind="refund")
        named = (
            {"idempotency_key": entry.idempotency_key}
            if names == "key"
            else {"reference": f"re_{entry.pk}"}
        )
        body, headers = _body(
            payment,
            event_id="evt_refund",
            type="payment.refunded",
            amount={"amount": "300.00", "currency": "AOA"},
            **named,
        )
        try:
            return handle_webhook(gateway_id="scripted", body=body, headers=headers)
        finally:
            delivered.set()

    results = run_together([refund, webhook])
    assert not [r for r in results if isinstance(r, BaseException)], results

    payment.refresh_from_db()
    refunds = LedgerEntry.objects.filter(payment=payment, kind="refund")
    assert [(e.state, e.amount) for e in refunds] == [("succeeded", Money("300.00", "AOA"))]
    assert payment.refunded == Money("300.00", "AOA")
    assert payment.refund_pending == Money(0, "AOA")
    assert payment.deferred_events == 0


def _mixed_events(payment: Payment) -> list[tuple[bytes, dict[str, str]]]:
    money = lambda amount: {"amount": amount, "currency": "AOA"}  # noqa: E731
    events = [
        {"event_id": "a", "type": "payment.authorized"},
        {"event_id": "c1", "type": "payment.captured", "reference": "c1", "amount": money("600")},
        {"event_id": "c2", "type": "payment.captured", "reference": "c2", "amount": money("400")},
        {"event_id": "r1", "type": "payment.refunded", "reference": "r1", "amount": money("150")},
        {"event_id": "r2", "type": "payment.refunded", "amount": money("50")},
    ]
    scoped = [{**e, "event_id": f"{payment.pk}-{e['event_id']}"} for e in events]
    return [_body(payment, **event) for event in scoped]


def _state(payment: Payment) -> tuple[Any, ...]:
    payment.refresh_from_db()
    order = payment.order
    order.refresh_from_db()
    ledger = sorted(
        (e.kind, e.state, e.amount.amount, e.reference, e.reason)
        for e in LedgerEntry.objects.filter(payment=payment)
    )
    return (
        ledger,
        payment.status,
        payment.captured,
        payment.refunded,
        order.status,
        order.charge_status,
        order.held,
    )


def test_twenty_duplicated_webhooks_of_mixed_types_at_once_converge(
    gateways_config: dict[str, Any],
) -> None:
    natural = make_payment(order=make_order(total="1000.00"), status=PaymentStatus.PENDING)
    for body, headers in _mixed_events(natural):
        handle_webhook(gateway_id="dummy", body=body, headers=headers)

    raced = make_payment(order=make_order(total="1000.00"), status=PaymentStatus.PENDING)
    deliveries = _mixed_events(raced) * 4
    random.Random(7).shuffle(deliveries)

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        response = Client().post(
            "/api/v1/payments/webhooks/dummy/",
            data=body,
            content_type="application/json",
            HTTP_X_DUMMY_SIGNATURE=headers["X-Dummy-Signature"],
        )
        return response.status_code

    results = run_together([lambda b=b, h=h: deliver(b, h) for b, h in deliveries])

    assert results == [200] * 20, results
    assert _state(raced) == _state(natural)
    assert raced.captured == Money(Decimal("1000.00"), "AOA")
    assert raced.refunded == Money(Decimal("200.00"), "AOA")
