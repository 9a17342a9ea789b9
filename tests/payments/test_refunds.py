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
from ecommerce_kit.payments.models import Refund
from ecommerce_kit.payments.services import capture_payment, refund_order, release_order_payments
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_order, make_payment

pytestmark = pytest.mark.django_db


def test_refund_without_amount_refunds_everything(scripted_gateway: Any, staff: Any) -> None:
    payment = make_payment(gateway="scripted")
    payments = refund_order(order=payment.order, amount=None, actor=staff)
    payment.refresh_from_db()
    assert payments == [payment]
    assert payment.status == "refunded" and payment.refunded == Money("1000.00", "AOA")
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.actor) == ("succeeded", payment.captured, staff)
    log = TransitionLog.objects.get(subject="payment")
    assert (log.transition, log.source, log.target, log.actor) == (
        "refund_fully",
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
    assert not Refund.objects.exists() and scripted_gateway.calls == []


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
    assert not Refund.objects.exists()


def test_refund_spreads_over_several_captured_payments(scripted_gateway: Any) -> None:
    order = make_order(total="1000.00")
    first = make_payment(
        order=order,
        gateway="scripted",
        captured="1000.00",
        status=PaymentStatus.PARTIALLY_REFUNDED,
        refunded="600.00",
    )
    second = make_payment(order=order, gateway="scripted")
    refund_order(order=order, amount=Money("700.00", "AOA"), actor=None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.refunded) == ("refunded", Money(1000, "AOA"))
    assert (second.status, second.refunded) == ("partially_refunded", Money(300, "AOA"))


@pytest.mark.parametrize("failure", [GatewayError("down"), RefundResult(ok=False, message="no")])
def test_failed_gateway_refund_releases_the_reservation(
    scripted_gateway: Any, failure: Any
) -> None:
    payment = make_payment(gateway="scripted")
    scripted_gateway.refund_result = failure
    with pytest.raises(GatewayError):
        refund_order(order=payment.order, amount=Money(400, "AOA"), actor=None)
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.refunded == Money(0, "AOA")
    assert Refund.objects.get().status == "failed"
    scripted_gateway.refund_result = RefundResult(ok=True)
    refund_order(order=payment.order, amount=None, actor=None)
    payment.refresh_from_db()
    assert payment.refunded == Money(1000, "AOA")


@pytest.mark.django_db(transaction=True)
def test_refund_calls_gateway_outside_any_transaction(scripted_gateway: Any) -> None:
    payment = make_payment(gateway="scripted")
    refund_order(order=payment.order, amount=None, actor=None)
    assert scripted_gateway.calls == [("refund", False)]


def test_release_voids_refunds_and_fails(scripted_gateway: Any) -> None:
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
        pending.pk: "failed",
        failed.pk: "failed",
    }
    assert sorted(name for name, _ in scripted_gateway.calls) == ["refund", "void"]


def test_release_is_idempotent(scripted_gateway: Any) -> None:
    order = make_order(status="cancelled")
    make_payment(order=order, gateway="scripted")
    release_order_payments(order=order, actor=None)
    release_order_payments(order=order, actor=None)
    assert Refund.objects.count() == 1


def test_release_logs_gateway_failures_without_raising(scripted_gateway: Any) -> None:
    order = make_order(status="cancelled")
    authorized = make_payment(order=order, gateway="scripted", status=PaymentStatus.AUTHORIZED)
    captured = make_payment(order=order, gateway="scripted")
    scripted_gateway.void_result = VoidResult(ok=False, message="too late")
    scripted_gateway.refund_result = GatewayError("down")
    release_order_payments(order=order, actor=None)
    authorized.refresh_from_db()
    captured.refresh_from_db()
    assert (authorized.status, captured.status) == ("authorized", "captured")


def test_capture_payment_captures_an_authorization(scripted_gateway: Any, staff: Any) -> None:
    payment = make_payment(gateway="scripted", status=PaymentStatus.AUTHORIZED)
    payment = capture_payment(payment_id=payment.pk, actor=staff)
    assert payment.status == "captured" and payment.captured == payment.amount
    with pytest.raises(InvalidTransitionError):
        capture_payment(payment_id=payment.pk, actor=staff)


def test_capture_answered_after_payment_was_given_up_is_refunded(scripted_gateway: Any) -> None:
    from ecommerce_kit.payments.base import Outcome, PaymentResult
    from ecommerce_kit.payments.services import _apply_payment_result

    # The order was cancelled (its pending payment failed) while the gateway call was under way.
    payment = make_payment(gateway="scripted", status=PaymentStatus.FAILED)
    _apply_payment_result(
        payment_id=payment.pk,
        actor=None,
        result=PaymentResult(outcome=Outcome.CAPTURED, reference="late"),
    )
    payment.refresh_from_db()
    assert payment.status == "failed" and payment.captured == Money(0, "AOA")
    refund = Refund.objects.get()
    assert (refund.status, refund.amount) == ("succeeded", payment.amount)
    assert [name for name, _ in scripted_gateway.calls] == ["refund"]
    log = TransitionLog.objects.get(subject="payment", transition="give_back")
    assert "given back" in log.note


def test_late_authorization_is_voided(scripted_gateway: Any) -> None:
    from ecommerce_kit.payments.base import Outcome, PaymentResult
    from ecommerce_kit.payments.services import _apply_payment_result

    payment = make_payment(gateway="scripted", status=PaymentStatus.FAILED)
    _apply_payment_result(
        payment_id=payment.pk, actor=None, result=PaymentResult(outcome=Outcome.AUTHORIZED)
    )
    assert [name for name, _ in scripted_gateway.calls] == ["void"]
    assert not Refund.objects.exists()


def test_retry_pending_refunds_settles_old_reservations_once(scripted_gateway: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ecommerce_kit.payments.tasks import retry_pending_refunds

    payment = make_payment(gateway="scripted")
    old = Refund.objects.create(payment=payment, currency="AOA", amount=Money(300, "AOA"))
    Refund.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    Refund.objects.create(payment=payment, currency="AOA", amount=Money(100, "AOA"))  # under way
    assert retry_pending_refunds() == 1
    old.refresh_from_db()
    payment.refresh_from_db()
    assert old.status == "succeeded"
    assert (payment.status, payment.refunded) == ("partially_refunded", Money(300, "AOA"))
    assert retry_pending_refunds() == 0
    # The pending reservation still counts against what is refundable.
    with pytest.raises(RefundExceedsCapturedError):
        refund_order(order=payment.order, amount=Money("600.01", "AOA"), actor=None)


def test_retry_pending_refunds_command_settles_and_reports(scripted_gateway: Any) -> None:
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    payment = make_payment(gateway="scripted")
    old = Refund.objects.create(payment=payment, currency="AOA", amount=Money(300, "AOA"))
    Refund.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("retry_pending_refunds", stdout=out)
    assert out.getvalue().strip() == "Settled 1 pending refund(s)."
    old.refresh_from_db()
    assert old.status == "succeeded"
