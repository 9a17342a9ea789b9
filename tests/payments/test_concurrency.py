"""Real concurrency: threads, each with its own database connection (SQLite file or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from moneyed import Money

from ecommerce_kit.exceptions import RefundExceedsCapturedError
from ecommerce_kit.orders.models import TransitionLog
from ecommerce_kit.payments.models import LedgerEntry, Payment, WebhookEvent
from ecommerce_kit.payments.services import refund_order
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_payment
from tests.payments.helpers import signed_webhook

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_same_webhook_delivered_20_times_concurrently_applies_once(
    gateways_config: dict[str, Any], hooks: Any
) -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    body, headers = signed_webhook(
        {
            "event_id": "evt_race",
            "payment_id": payment.pk,
            "type": "payment.captured",
            "amount": {"amount": str(payment.amount.amount), "currency": "AOA"},
        }
    )

    def deliver(_: int) -> tuple[int, str]:
        response = Client().post(
            "/api/v1/payments/webhooks/dummy/",
            data=body,
            content_type="application/json",
            **headers,
        )
        return response.status_code, response.json().get("result", "")

    results = run_in_threads(20, deliver)
    assert all(isinstance(r, tuple) and r[0] == 200 for r in results), results
    assert sorted(r[1] for r in results) == ["captured"] + ["duplicate"] * 19
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.captured == payment.amount
    assert payment.order.status == "confirmed"
    assert WebhookEvent.objects.count() == 1
    assert TransitionLog.objects.filter(subject="payment", target="captured").count() == 1
    assert TransitionLog.objects.filter(subject="order", target="confirmed").count() == 1
    assert [call[1:] for call in hooks.calls] == [("pending", "captured", False)]


def test_two_racing_refunds_never_exceed_captured(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")  # 1000.00 captured
    order = payment.order
    inside_gateway = threading.Event()
    second_done = threading.Event()

    def slow_refund() -> None:
        # The first refund waits inside the gateway call until the second one has finished:
        # this can only happen when no lock is held during the call.
        if not inside_gateway.is_set():
            inside_gateway.set()
            assert second_done.wait(timeout=20), "the second refund was blocked"

    scripted_gateway.on_refund = slow_refund

    def refund(i: int) -> Any:
        if i == 1:
            assert inside_gateway.wait(timeout=20)
        try:
            return refund_order(order=order, amount=Money("600.00", "AOA"), actor=None)
        finally:
            if i == 1:
                second_done.set()

    results = run_in_threads(2, refund)
    assert isinstance(results[1], RefundExceedsCapturedError), results
    assert isinstance(results[0], list), results
    payment.refresh_from_db()
    assert payment.refunded == Money("600.00", "AOA")
    assert payment.status == "partially_refunded"
    refunds = LedgerEntry.objects.filter(kind="refund")
    assert list(refunds.values_list("state", flat=True)) == ["succeeded"]
    assert all(in_transaction is False for _, in_transaction in scripted_gateway.calls)


def test_many_racing_refunds_add_up_to_at_most_captured(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")  # 1000.00 captured
    order = payment.order

    def refund(_: int) -> Any:
        return refund_order(order=order, amount=Money("300.00", "AOA"), actor=None)

    results = run_in_threads(6, refund)
    succeeded = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, RefundExceedsCapturedError)]
    assert (len(succeeded), len(refused)) == (3, 3), results
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.refunded == Money("900.00", "AOA")
    assert LedgerEntry.objects.filter(kind="refund", state="succeeded").count() == 3


@pytest.mark.parametrize("round_", range(3))
def test_capture_webhook_racing_a_cancellation_gives_the_money_back(
    scripted_gateway: Any, round_: int
) -> None:
    from django.db.models import Sum

    from ecommerce_kit.orders.services import cancel_order

    payment = make_payment(gateway="scripted", status=PaymentStatus.PENDING)
    order = payment.order
    body, headers = signed_webhook(
        {
            "event_id": f"evt_{round_}",
            "payment_id": payment.pk,
            "type": "payment.captured",
        }
    )

    def act(i: int) -> Any:
        if i == 0:
            return (
                Client()
                .post(
                    "/api/v1/payments/webhooks/scripted/",
                    data=body,
                    content_type="application/json",
                    **headers,
                )
                .status_code
            )
        return cancel_order(order_id=order.pk, actor=None, note="race").status

    results = run_in_threads(2, act)
    assert results == [200, "cancelled"], results
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "cancelled"
    assert payment.status == "refunded"
    given_back = LedgerEntry.objects.filter(
        payment=payment, kind="refund", state="succeeded"
    ).aggregate(total=Sum("amount"))["total"]
    assert given_back == payment.amount.amount
