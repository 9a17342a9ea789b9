from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.exceptions import (
    GatewayError,
    InvalidInputError,
    InvalidTransitionError,
    RefundExceedsCapturedError,
)
from ecommerce_kit.orders.models import TransitionLog
from ecommerce_kit.payments.base import RefundResult, VoidResult
from ecommerce_kit.payments.models import LedgerEntry
from ecommerce_kit.payments.services import capture_payment, refund_order, release_order_payments
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_order, make_payment

pytestmark = pytest.mark.django_db


def _refunds() -> Any:
    return LedgerEntry.objects.filter(kind="refund", source__in=("staff", "system"))


def test_refund_without_amount_refunds_everything(scripted_gateway: Any, staff: Any) -> None:
    payment = make_payment(gateway="scripted")
    payments = refund_order(order=payment.order, amount=None, actor=staff)
    payment.refresh_from_db()
    assert payments == [payment]
    assert payment.status == "refunded" and payment.refunded == Money("1000.00", "AOA")
    refund = _refunds().get()
    assert (refund.state, refund.amount, refund.actor) == ("succeeded", payment.captured, staff)
    assert (refund.reason, refund.reference) == ("staff", "r")
    assert refund.idempotency_key and scripted_gateway.keys[-1] == refund.idempotency_key
    log = TransitionLog.objects.filter(subject="payment").last()
    assert (log.transition, log.source, log.target, log.actor) == (
        "refunded",
        "captured",
        "refunded",
        staff,
    )


def test_partial_refunds_add_up(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")
    refund_order(order=payment.order, amount=Money("250.00", "AOA"), actor=None)
    payment.refresh_from_db()
    assert payment.status == "partially_refunded" and payment.refunded == Money(250, "AOA")
    refund_order(order=payment.order, amount=Money("700.00", "AOA"), actor=None)
    payment.refresh_from_db()
    assert payment.status == "partially_refunded" and payment.refunded == Money(950, "AOA")
    refund_order(order=payment.order, amount=None, actor=None)
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.refunded == Money(1000, "AOA")


def test_refund_exceeding_captured_is_refused_and_changes_nothing(scripted_gateway: Any) -> None:
    payment = make_payment(
        gateway="scripted", status=PaymentStatus.PARTIALLY_REFUNDED, refunded="900.00"
    )
    with pytest.raises(RefundExceedsCapturedError) as excinfo:
        refund_order(order=payment.order, amount=Money("100.01", "AOA"), actor=None)
    assert excinfo.value.status_code == 409
    assert excinfo.value.extra == {"refundable": {"amount": "100.00", "currency": "AOA"}}
    assert not _refunds().exists() and scripted_gateway.calls == []


def test_refund_with_nothing_captured_is_refused(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted", status=PaymentStatus.AUTHORIZED)
    with pytest.raises(RefundExceedsCapturedError):
        refund_order(order=payment.order, amount=None, actor=None)
    with pytest.raises(RefundExceedsCapturedError):
        refund_order(order=make_order(), amount=Money(1, "AOA"), actor=None)


@pytest.mark.parametrize("amount", [Money("10", "USD"), Money("0", "AOA"), Money("-5", "AOA")])
def test_refund_amount_must_be_positive_in_order_currency(
    scripted_gateway: Any, amount: Money
) -> None:
    payment = make_payment(gateway="scripted")
    with pytest.raises(InvalidInputError):
        refund_order(order=payment.order, amount=amount, actor=None)
    assert not _refunds().exists()


def test_refund_spreads_over_several_captured_payments(scripted_gateway: Any) -> None:
    order = make_order(total="1000.00")
    first = make_payment(
        order=order,
        gateway="scripted",
        captured="1000.00",
        status=PaymentStatus.PARTIALLY_REFUNDED,
        refunded="600.00",
    )
    # The order now holds 1400 of the 1000 it is owed: the surplus (400) of the newest payment is
    # given back at once.
    second = make_payment(order=order, gateway="scripted")
    second.refresh_from_db()
    assert (second.status, second.refunded) == ("partially_refunded", Money(400, "AOA"))
    refund_order(order=order, amount=Money("700.00", "AOA"), actor=None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.refunded) == ("refunded", Money(1000, "AOA"))
    assert (second.status, second.refunded) == ("partially_refunded", Money(700, "AOA"))


def test_refused_refund_releases_the_reservation(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")
    scripted_gateway.refund_result = RefundResult(ok=False, message="no")
    with pytest.raises(GatewayError):
        refund_order(order=payment.order, amount=Money(400, "AOA"), actor=None)
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.refunded == Money(0, "AOA")
    assert payment.refund_pending == Money(0, "AOA")
    assert _refunds().get().state == "failed"
    scripted_gateway.refund_result = RefundResult(ok=True)
    refund_order(order=payment.order, amount=None, actor=None)
    payment.refresh_from_db()
    assert payment.refunded == Money(1000, "AOA")


def test_timed_out_refund_stays_reserved_and_is_retried_with_the_same_key(
    scripted_gateway: Any,
) -> None:
    from datetime import timedelta

    from ecommerce_kit.payments.services import retry_open_entries

    payment = make_payment(gateway="scripted")
    scripted_gateway.refund_result = GatewayError("timed out")
    with pytest.raises(GatewayError):
        refund_order(order=payment.order, amount=Money(400, "AOA"), actor=None)
    payment.refresh_from_db()
    refund = _refunds().get()
    assert refund.state == "unknown" and refund.attempts == 1
    assert payment.refund_pending == Money(400, "AOA") and payment.refunded == Money(0, "AOA")
    # What is under way still counts: no more than the rest can be refunded meanwhile.
    with pytest.raises(RefundExceedsCapturedError):
        refund_order(order=payment.order, amount=Money("600.01", "AOA"), actor=None)
    scripted_gateway.refund_result = RefundResult(ok=True, reference="r-400")
    assert retry_open_entries(older_than=timedelta(0)) == 1
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.state, refund.reference, refund.attempts) == ("succeeded", "r-400", 2)
    assert payment.refunded == Money(400, "AOA") and payment.refund_pending == Money(0, "AOA")
    assert scripted_gateway.keys[-2:] == [refund.idempotency_key] * 2
    assert _refunds().count() == 1
    assert retry_open_entries(older_than=timedelta(0)) == 0


@pytest.mark.django_db(transaction=True)
def test_refund_calls_gateway_outside_any_transaction(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")
    refund_order(order=payment.order, amount=None, actor=None)
    assert scripted_gateway.calls == [("refund", False)]


def test_cancelled_order_voids_refunds_and_voids_pending(scripted_gateway: Any) -> None:
    order = make_order(status="cancelled")
    authorized = make_payment(order=order, gateway="scripted", status=PaymentStatus.AUTHORIZED)
    captured = make_payment(order=order, gateway="scripted")
    pending = make_payment(order=order, gateway="scripted", status=PaymentStatus.PENDING)
    failed = make_payment(order=order, gateway="scripted", status=PaymentStatus.FAILED)
    release_order_payments(order=order, actor=None)
    statuses = {p.pk: p.status for p in order.payments.all()}
    assert statuses == {
        authorized.pk: "voided",
        captured.pk: "refunded",
        pending.pk: "voided",  # a reference payment the buyer could still pay
        failed.pk: "failed",
    }
    assert sorted(name for name, _ in scripted_gateway.calls) == ["refund", "void", "void"]
    assert _refunds().get().reason == "release"


def test_release_is_idempotent(scripted_gateway: Any) -> None:
    order = make_order(status="cancelled")
    make_payment(order=order, gateway="scripted")
    release_order_payments(order=order, actor=None)
    release_order_payments(order=order, actor=None)
    assert _refunds().count() == 1


def test_release_logs_gateway_failures_without_raising(scripted_gateway: Any) -> None:
    order = make_order(status="cancelled")
    scripted_gateway.void_result = VoidResult(ok=False, message="too late")
    scripted_gateway.refund_result = GatewayError("down")
    authorized = make_payment(order=order, gateway="scripted", status=PaymentStatus.AUTHORIZED)
    captured = make_payment(order=order, gateway="scripted")
    release_order_payments(order=order, actor=None)
    authorized.refresh_from_db()
    captured.refresh_from_db()
    assert (authorized.status, captured.status) == ("authorized", "captured")
    assert captured.refund_pending == captured.captured  # unknown: kept and retried
    # A refused void is left for staff: releasing again does not ask again and again.
    release_order_payments(order=order, actor=None)
    assert [name for name, _ in scripted_gateway.calls].count("void") == 1


def test_capture_payment_captures_an_authorization(scripted_gateway: Any, staff: Any) -> None:
    payment = make_payment(gateway="scripted", status=PaymentStatus.AUTHORIZED)
    payment = capture_payment(payment_id=payment.pk, actor=staff)
    assert payment.status == "captured" and payment.captured == payment.amount
    with pytest.raises(InvalidTransitionError):
        capture_payment(payment_id=payment.pk, actor=staff)


def _apply(payment: Any, result: Any) -> None:
    from ecommerce_kit.payments import services

    services._change(
        payment.pk, lambda order, locked: services._apply_result(locked, result), actor=None
    )


def test_capture_answered_after_payment_was_given_up_is_refunded(scripted_gateway: Any) -> None:
    from ecommerce_kit.payments.base import Outcome, PaymentResult

    # The order was cancelled (its pending payment failed) while the gateway call was under way.
    order = make_order(status="cancelled")
    payment = make_payment(order=order, gateway="scripted", status=PaymentStatus.FAILED)
    _apply(payment, PaymentResult(outcome=Outcome.CAPTURED, reference="late"))
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.captured == payment.amount
    refund = _refunds().get()
    assert (refund.state, refund.amount, refund.reason) == ("succeeded", payment.amount, "release")
    assert [name for name, _ in scripted_gateway.calls] == ["refund"]


def test_late_authorization_is_voided(scripted_gateway: Any) -> None:
    from ecommerce_kit.payments.base import Outcome, PaymentResult

    order = make_order(status="cancelled")
    payment = make_payment(order=order, gateway="scripted", status=PaymentStatus.FAILED)
    _apply(payment, PaymentResult(outcome=Outcome.AUTHORIZED))
    assert [name for name, _ in scripted_gateway.calls] == ["void"]
    payment.refresh_from_db()
    assert payment.status == "voided"
    assert not _refunds().exists()


def test_retry_command_settles_open_entries_and_reports(scripted_gateway: Any) -> None:
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    payment = make_payment(gateway="scripted")
    old = LedgerEntry.objects.create(
        payment=payment,
        kind="refund",
        state="requested",
        currency="AOA",
        amount=Money(300, "AOA"),
        idempotency_key="ek_old",
        source="staff",
        reason="staff",
    )
    LedgerEntry.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    LedgerEntry.objects.create(  # under way: left alone
        payment=payment,
        kind="refund",
        state="requested",
        currency="AOA",
        amount=Money(100, "AOA"),
        idempotency_key="ek_new",
        source="staff",
        reason="staff",
    )
    out = StringIO()
    call_command("retry_payment_calls", stdout=out)
    assert out.getvalue().strip() == "1 open ledger entries called for again."
    old.refresh_from_db()
    payment.refresh_from_db()
    assert old.state == "succeeded"
    assert payment.refunded == Money(300, "AOA") and payment.refund_pending == Money(100, "AOA")
    assert scripted_gateway.keys == ["ek_old"]


def test_a_staff_refund_under_way_is_not_an_overcharge(scripted_gateway: Any, staff: Any) -> None:
    payment = make_payment(gateway="scripted")
    scripted_gateway.refund_result = GatewayError("timed out")
    with pytest.raises(GatewayError):
        refund_order(order=payment.order, amount=Money(200, "AOA"), actor=staff)
    order = payment.order
    order.refresh_from_db()
    assert order.due == order.held == Money(800, "AOA")
    assert (order.charge_status, order.authorize_status) == ("full", "full")
