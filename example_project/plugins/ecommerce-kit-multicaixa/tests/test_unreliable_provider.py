"""A provider on a bad day: timeouts, bursts of 5xx answers, webhooks that come late, twice or
not in order. Money moves once whatever happens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from ecommerce_kit_multicaixa.testing import FakeMulticaixa
from moneyed import Money

from ecommerce_kit.exceptions import GatewayError, GatewayUnavailableError
from ecommerce_kit.orders.services import cancel_order
from ecommerce_kit.payments.models import GatewayCallLog, LedgerEntry, Payment
from ecommerce_kit.payments.services import (
    handle_webhook,
    refund_order,
    retry_open_entries,
    start_payment,
)
from ecommerce_kit.testing.factories import create_order

PHONE = "+244923456789"


def deliver(requests: list[tuple[bytes, dict[str, str]]], gateway_id: str) -> list[str]:
    return [handle_webhook(gateway_id=gateway_id, body=b, headers=h) for b, h in requests]


def paid_reference(fake: FakeMulticaixa) -> tuple[Any, Any]:
    """An order paid by reference (the webhook applied)."""
    order = create_order()
    payment = start_payment(order=order, gateway_id="multicaixa_ref", payment_data={}, actor=None)
    fake.pay(payment.reference)
    assert deliver(fake.send_webhooks(), "multicaixa_ref") == ["captured"]
    payment.refresh_from_db()
    order.refresh_from_db()
    return order, payment


@pytest.mark.django_db
def test_a_burst_of_5xx_shorter_than_the_retries_makes_one_payment(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    fake_provider.fail_next(3, status=503)
    payment = start_payment(
        order=create_order(), gateway_id="multicaixa_ref", payment_data={}, actor=None
    )
    assert payment.status == "pending" and payment.reference
    keys = {request.headers["Idempotency-Key"] for request in fake_provider.requests}
    assert keys == {payment.idempotency_key} and len(fake_provider.requests) == 4
    assert list(fake_provider.payments) == [payment.reference]
    statuses = GatewayCallLog.objects.order_by("id").values_list("status_code", flat=True)
    assert list(statuses) == [503, 503, 503, 201]


@pytest.mark.django_db
def test_a_burst_of_5xx_longer_than_the_retries_fails_the_payment(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    fake_provider.fail_next(4, status=502)
    with pytest.raises(GatewayError):
        start_payment(
            order=create_order(),
            gateway_id="multicaixa_express",
            payment_data={"phone": PHONE},
            actor=None,
        )
    assert Payment.objects.get().status == "failed"
    assert fake_provider.payments == {}


@pytest.mark.django_db
def test_a_create_that_timed_out_after_the_provider_acted_is_sent_again_with_its_key(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    fake_provider.time_out_next(1, after_acting=True)
    payment = start_payment(
        order=create_order(),
        gateway_id="multicaixa_express",
        payment_data={"phone": PHONE},
        actor=None,
    )
    # The client asked again with the same key, and the provider answered its first answer.
    assert len(fake_provider.requests) == 2 and list(fake_provider.payments) == [payment.reference]
    assert payment.status == "pending"


@pytest.mark.django_db
def test_a_refund_that_keeps_timing_out_is_made_once_and_settled_later(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order, payment = paid_reference(fake_provider)
    part = Money("250.00", "AOA")
    fake_provider.time_out_next(4, after_acting=True)  # every attempt, after the first refunded
    with pytest.raises(GatewayError):
        refund_order(order=order, amount=part, actor=None)
    entry = LedgerEntry.objects.get(payment=payment, kind="refund")
    payment.refresh_from_db()
    assert entry.state == "unknown" and payment.refund_pending == part
    assert len(fake_provider.refunds_of(payment.reference)) == 1

    assert retry_open_entries(older_than=timedelta(0)) == 1
    entry.refresh_from_db()
    payment.refresh_from_db()
    (made,) = fake_provider.refunds_of(payment.reference)
    assert entry.state == "succeeded" and entry.reference == made["id"]
    assert payment.refunded == part and payment.status == "partially_refunded"
    # The provider's own event about that refund, when it arrives, books nothing more.
    outcomes = deliver(fake_provider.send_webhooks(), "multicaixa_ref")
    assert len(outcomes) == 1 and outcomes[0].startswith("duplicate")
    payment.refresh_from_db()
    assert payment.refunded == part


@pytest.mark.django_db
def test_a_refund_during_an_outage_waits_and_is_made_when_the_provider_is_back(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order, payment = paid_reference(fake_provider)
    fake_provider.fail_next(4, status=503)
    with pytest.raises(GatewayError):
        refund_order(order=order, amount=None, actor=None)
    assert fake_provider.refunds_of(payment.reference) == []
    assert retry_open_entries(older_than=timedelta(0)) == 1
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.refunded == payment.amount
    assert len(fake_provider.refunds_of(payment.reference)) == 1


@pytest.mark.django_db
def test_a_long_outage_opens_the_circuit_and_calls_stop_reaching_the_provider(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    fake_provider.fail_next(100, status=503)
    for _attempt in range(2):  # 4 attempts, then 1 more: the fifth failure opens the circuit
        with pytest.raises(GatewayError):
            start_payment(
                order=create_order(), gateway_id="multicaixa_ref", payment_data={}, actor=None
            )
    reached = len(fake_provider.requests)
    assert reached == 5
    with pytest.raises(GatewayError) as refused:
        start_payment(
            order=create_order(), gateway_id="multicaixa_ref", payment_data={}, actor=None
        )
    assert isinstance(refused.value.__cause__, GatewayUnavailableError)
    assert len(fake_provider.requests) == reached
    assert GatewayCallLog.objects.order_by("id").last().outcome == "circuit_open"


@pytest.mark.django_db
def test_a_push_accepted_as_the_order_is_cancelled_is_refunded_when_its_webhook_comes(
    multicaixa: Any, fake_provider: FakeMulticaixa, django_capture_on_commit_callbacks: Any
) -> None:
    order = create_order()
    payment = start_payment(
        order=order, gateway_id="multicaixa_express", payment_data={"phone": PHONE}, actor=None
    )
    fake_provider.pay(payment.reference)  # accepted on the phone; the webhook is late
    accepted = fake_provider.send_webhooks()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=order.pk, actor=None, note="the buyer gave up waiting")
    payment.refresh_from_db()
    assert payment.status == "failed"  # the provider refused to cancel: it was paid

    assert deliver(accepted, "multicaixa_express") == ["captured"]
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert payment.status == "refunded" and payment.refunded == payment.amount
    (refund,) = fake_provider.refunds_of(payment.reference)
    assert refund["amount"] == "1000.00"
    # Delivered again, and the refund's own event: nothing more moves.
    outcomes = deliver(accepted + fake_provider.send_webhooks(), "multicaixa_express")
    assert outcomes[0] == "duplicate" and outcomes[1].startswith("duplicate")
    payment.refresh_from_db()
    assert payment.refunded == payment.amount
    assert len(fake_provider.refunds_of(payment.reference)) == 1


@pytest.mark.django_db
def test_webhooks_delivered_late_repeated_and_out_of_order_are_applied_once(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order, payment = paid_reference(fake_provider)
    refund_order(order=order, amount=Money("100.00", "AOA"), actor=None)
    refund_order(order=order, amount=Money("200.00", "AOA"), actor=None)
    late = fake_provider.send_webhooks()  # the two refunds' events, sent late ...
    outcomes = deliver(late[::-1] + late, "multicaixa_ref")  # ... newest first, then again
    assert all(outcome.startswith("duplicate") for outcome in outcomes), outcomes
    payment.refresh_from_db()
    assert payment.refunded == Money("300.00", "AOA")
    assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 2
    assert len(fake_provider.refunds_of(payment.reference)) == 2
