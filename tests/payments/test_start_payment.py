from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.exceptions import (
    GatewayError,
    InvalidTransitionError,
    PaymentDeclinedError,
    UnknownPaymentMethodError,
)
from ecommerce_kit.orders.models import TransitionLog
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.payments.services import start_payment
from tests.payments.factories import make_order

pytestmark = pytest.mark.django_db


def _payment_log(payment: Payment) -> list[tuple[str, str, str]]:
    return list(
        TransitionLog.objects.filter(subject="payment", subject_id=payment.pk).values_list(
            "transition", "source", "target"
        )
    )


def test_start_payment_success_captures_and_confirms_order(
    gateways_config: dict[str, Any], hooks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(total="2500.00")
    with django_capture_on_commit_callbacks(execute=True):
        payment = start_payment(
            order=order,
            gateway_id="dummy",
            payment_data={"token": "tok_success"},
            actor=order.buyer,
        )
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == "captured"
    assert payment.captured == Money("2500.00", "AOA") == payment.amount
    assert payment.refunded == Money(0, "AOA")
    assert payment.reference == f"dummy_{payment.pk}"
    assert order.status == "confirmed"
    assert _payment_log(payment) == [("captured", "pending", "captured")]
    assert TransitionLog.objects.filter(subject="order", target="confirmed").count() == 1
    assert [call[:3] for call in hooks.calls] == [(payment.pk, "pending", "captured")]


def test_start_payment_notifies_hooks_only_after_commit(
    gateways_config: dict[str, Any], hooks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)
    assert hooks.calls == []
    for callback in callbacks:
        callback()
    assert [call[1:3] for call in hooks.calls] == [("pending", "captured")]


def test_start_payment_authorize_confirms_order(gateways_config: dict[str, Any]) -> None:
    order = make_order()
    payment = start_payment(
        order=order, gateway_id="dummy", payment_data={"token": "tok_authorize"}, actor=None
    )
    order.refresh_from_db()
    assert (payment.status, order.status) == ("authorized", "confirmed")
    assert payment.captured == Money(0, "AOA")


def test_start_payment_decline_fails_payment_and_raises(gateways_config: dict[str, Any]) -> None:
    order = make_order()
    with pytest.raises(PaymentDeclinedError):
        start_payment(
            order=order,
            gateway_id="dummy",
            payment_data={"token": "tok_decline"},
            actor=order.buyer,
        )
    payment = Payment.objects.get()
    order.refresh_from_db()
    assert payment.status == "failed" and payment.failure_message
    assert order.status == "pending"
    assert _payment_log(payment) == [("failed", "pending", "failed")]


def test_start_payment_gateway_error_fails_payment_keeps_order_pending(
    gateways_config: dict[str, Any],
) -> None:
    order = make_order()
    with pytest.raises(GatewayError) as excinfo:
        start_payment(
            order=order, gateway_id="dummy", payment_data={"token": "tok_error"}, actor=None
        )
    assert excinfo.value.code == "gateway_error" and excinfo.value.status_code == 502
    payment = Payment.objects.get()
    order.refresh_from_db()
    assert payment.status == "failed" and "tok_error" in payment.failure_message
    assert order.status == "pending"


def test_start_payment_can_be_retried_after_gateway_error(gateways_config: dict[str, Any]) -> None:
    order = make_order()
    with pytest.raises(GatewayError):
        start_payment(
            order=order, gateway_id="dummy", payment_data={"token": "tok_error"}, actor=None
        )
    payment = start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)
    order.refresh_from_db()
    assert payment.status == "captured" and order.status == "confirmed"
    assert list(order.payments.values_list("status", flat=True)) == ["failed", "captured"]


def test_start_payment_pending_stays_pending(gateways_config: dict[str, Any]) -> None:
    order = make_order()
    payment = start_payment(
        order=order, gateway_id="dummy", payment_data={"token": "tok_pending"}, actor=None
    )
    order.refresh_from_db()
    assert payment.status == "pending" and order.status == "pending"
    assert payment.next_action is None
    assert _payment_log(payment) == []


@pytest.mark.parametrize("gateway_id", ["nope", "scripted_unconfigured", "", None])
def test_start_payment_rejects_unknown_gateway(
    gateways_config: dict[str, Any], gateway_id: Any
) -> None:
    order = make_order()
    with pytest.raises(UnknownPaymentMethodError):
        start_payment(order=order, gateway_id=gateway_id, payment_data={}, actor=None)
    assert not Payment.objects.exists()


def test_start_payment_rejects_unconfigured_dummy() -> None:
    order = make_order()
    with pytest.raises(UnknownPaymentMethodError):
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)


def test_start_payment_rejects_currency_the_gateway_does_not_take(
    gateways_config: dict[str, Any],
) -> None:
    gateways_config["dummy"]["currencies"] = ["USD"]
    order = make_order()
    with pytest.raises(UnknownPaymentMethodError):
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("status", ["confirmed", "cancelled"])
def test_start_payment_rejects_order_that_is_not_pending(
    gateways_config: dict[str, Any], status: str
) -> None:
    order = make_order(status=status)
    with pytest.raises(InvalidTransitionError):
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)
    assert not Payment.objects.exists()


def test_start_payment_stores_payment_data_redacted(gateways_config: dict[str, Any]) -> None:
    order = make_order()
    payment = start_payment(
        order=order,
        gateway_id="dummy",
        payment_data={"token": "tok_success", "card": {"cvc": "123"}, "note": "gift"},
        actor=None,
    )
    payment.refresh_from_db()
    assert payment.payment_data == {"token": "[redacted]", "card": "[redacted]", "note": "gift"}


@pytest.mark.django_db(transaction=True)
def test_start_payment_calls_gateway_outside_any_transaction(
    scripted_gateway: Any, hooks: Any
) -> None:
    order = make_order()
    payment = start_payment(order=order, gateway_id="scripted", payment_data={}, actor=None)
    assert payment.status == "captured"
    assert scripted_gateway.calls == [("create_payment", False)]
    assert hooks.calls == [(payment.pk, "pending", "captured", False)]


def test_start_payment_query_budget(
    gateways_config: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    order = make_order()
    with django_assert_max_num_queries(16):  # with the savepoint of the one-live-payment insert
        start_payment(order=order, gateway_id="dummy", payment_data={}, actor=None)
