"""Payments: start, capture, refund, release and webhooks.

No gateway is ever called inside a transaction that holds row locks. Every operation records
first (a short transaction), calls the gateway with no transaction open, then applies the answer in
a second short transaction that locks the payment row and is safe to repeat: a transition is made
only when the payment is still in a state that allows it. Every transition writes an audit row
(:func:`ecommerce_kit.orders.audit.record_transition`, ``subject="payment"``) and notifies the
``payment_status_changed`` hook after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed
from moneyed import Money

from ecommerce_kit import plugins
from ecommerce_kit.api.fields import (
    NULL_CHARACTERS_MESSAGE,
    MoneyField,
    contains_null_character,
)
from ecommerce_kit.exceptions import (
    GatewayError,
    GatewayNotFoundError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PaymentDeclinedError,
    RefundExceedsCapturedError,
    UnknownPaymentMethodError,
)
from ecommerce_kit.money import quantize, zero
from ecommerce_kit.payments.base import (
    CaptureResult,
    Outcome,
    PaymentGateway,
    PaymentResult,
    RefundResult,
    VoidResult,
    WebhookEvent,
    WebhookEventType,
)
from ecommerce_kit.payments.http import redact
from ecommerce_kit.payments.models import Payment, Refund
from ecommerce_kit.payments.models import WebhookEvent as WebhookEventRecord
from ecommerce_kit.payments.states import (
    CAPTURED_STATUSES,
    PAID_STATUSES,
    PaymentStatus,
    RefundStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from ecommerce_kit.orders.models import Order

    Actor = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger(__name__)

__all__ = [
    "capture_payment",
    "handle_webhook",
    "refund_order",
    "release_order_payments",
    "retry_pending_refunds",
    "start_payment",
]

MAX_PK = 2**63 - 1


# --- Helpers ---------------------------------------------------------------------------------


def _resolve_gateway(
    gateway_id: Any, *, currency: str | None = None
) -> tuple[PaymentGateway, dict[str, Any]]:
    """Return the configured gateway and its options, as a payment method.

    :raises UnknownPaymentMethodError: unknown, unconfigured, or not accepting ``currency``.
    """
    try:
        gateway = plugins.get_gateway(gateway_id)
        options = plugins.gateway_options(gateway.id)
    except GatewayNotFoundError:
        raise UnknownPaymentMethodError(payment_method=str(gateway_id)) from None
    if currency is not None and currency not in plugins.gateway_currencies(gateway):
        raise UnknownPaymentMethodError(
            _("This payment method does not accept %(currency)s.") % {"currency": currency},
            payment_method=gateway.id,
        )
    return gateway, options


def _money_json(value: Money) -> dict[str, str]:
    return MoneyField().to_representation(value)


def _transition(payment: Payment, name: str, *, actor: Actor, note: str = "") -> None:
    """Run transition ``name`` on a locked ``payment``, audit it and notify after commit.

    The caller saves the payment in the same transaction.
    """
    from ecommerce_kit.orders.audit import record_transition

    source = str(payment.status)
    try:
        getattr(payment, name)()
    except TransitionNotAllowed:
        raise InvalidTransitionError(transition=name, status=source) from None
    target = str(payment.status)
    record_transition(
        order=payment.order_id,
        subject="payment",
        subject_id=payment.pk,
        transition=name,
        source=source,
        target=target,
        actor=actor,
        note=note,
    )
    if source != target:
        plugins.notify_payment_status_changed(
            payment=payment, source=source, target=target, actor=_user_or_none(actor)
        )


def _user_or_none(actor: Actor) -> Any:
    """Return the user behind ``actor``, or ``None`` for the system and anonymous users."""
    return actor if actor is not None and actor.is_authenticated else None


def _save(payment: Payment) -> None:
    payment.save()


@dataclass
class _FollowUp:
    """Work to do once the transaction has committed (gateway calls: never under a lock)."""

    release_payment_id: int | None = None
    reason: str = ""
    #: A payment given up on (failed or voided) that the provider took money for after all.
    late_payment_id: int | None = None
    late_outcome: str = ""
    late_amount: Money | None = None

    def run(self) -> None:
        if self.release_payment_id is not None:
            _release_payment(payment_id=self.release_payment_id, actor=None, note=self.reason)
        if self.late_payment_id is not None:
            _give_back_late_payment(
                payment_id=self.late_payment_id, outcome=self.late_outcome, amount=self.late_amount
            )


def _late(payment: Payment, outcome: str, amount: Money | None) -> _FollowUp:
    """Plan to give back what the provider took for a payment the kit already gave up on."""
    if payment.status not in (PaymentStatus.FAILED, PaymentStatus.VOIDED):
        return _FollowUp()
    logger.warning(
        "Payment %s is %s but its gateway reports it %s; giving the money back.",
        payment.pk,
        payment.status,
        outcome,
    )
    return _FollowUp(
        late_payment_id=payment.pk,
        late_outcome=outcome,
        late_amount=_capped(amount, payment.amount),
    )


def _give_back_late_payment(*, payment_id: int, outcome: str, amount: Money | None) -> None:
    """Void (authorized) or refund (captured) at the provider a payment that is failed here.

    The payment's own status and amounts stay as they are (it never paid the order); the attempt
    is kept as a :class:`Refund` row (for a capture) and in the transition log.
    """
    from ecommerce_kit.orders.audit import record_transition

    payment = Payment.objects.get(pk=payment_id)
    amount = amount or payment.amount
    refund = None
    ok, message = False, ""
    try:
        gateway, options = _resolve_gateway(payment.gateway)
        if outcome == Outcome.AUTHORIZED:
            void = gateway.void(payment=payment, options=options)
            ok, message = void.ok, void.message
        else:
            refund = Refund.objects.create(
                payment=payment, currency=payment.currency, amount=amount
            )
            result = gateway.refund(
                payment=payment, amount=amount, refund_id=str(refund.pk), options=options
            )
            ok, message = result.ok, result.message
            refund.reference = result.reference[:255]
    except Exception as exc:
        logger.exception("Could not give back late payment %s", payment.pk)
        message = f"{exc.__class__.__name__}: {exc}"
    if refund is not None:
        refund.status = RefundStatus.SUCCEEDED if ok else RefundStatus.FAILED
        refund.failure_message = "" if ok else message[:2000]
        refund.save(update_fields=["status", "reference", "failure_message", "updated_at"])
    action = "void" if outcome == Outcome.AUTHORIZED else f"refund of {amount}"
    note = (
        f"late {outcome} given back ({action})"
        if ok
        else f"late {outcome} NOT given back ({action}): {message} - settle it at the provider"
    )
    if not ok:
        logger.error("Payment %s: %s", payment.pk, note)
    record_transition(
        order=payment.order_id,
        subject="payment",
        subject_id=payment.pk,
        transition="give_back",
        source=str(payment.status),
        target=str(payment.status),
        note=note[:2000],
    )


def _after_paid(payment: Payment) -> _FollowUp:
    """Confirm the order of a payment that was just authorized or captured (payment locked).

    When the order was cancelled meanwhile, or was already paid by another payment, the money is
    given back once the transaction has committed.
    """
    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.orders.services import mark_order_paid
    from ecommerce_kit.orders.states import OrderStatus

    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if order.status == OrderStatus.PENDING:
        mark_order_paid(order_id=order.pk, actor=None)
        return _FollowUp()
    if order.status == OrderStatus.CANCELLED:
        return _FollowUp(payment.pk, "order cancelled before the payment completed")
    paid_twice = (
        Payment.objects.filter(order_id=order.pk, status__in=PAID_STATUSES)
        .exclude(pk=payment.pk)
        .exists()
    )
    if paid_twice:
        return _FollowUp(payment.pk, "order already paid by another payment")
    return _FollowUp()


def _after_capture(payment: Payment) -> _FollowUp:
    """Confirm the order of a payment just captured in full (payment locked).

    A capture of less than the payment's amount (a provider's partial approval) does not pay the
    order: the money taken is given back once the transaction has committed, and the order stays
    ``pending`` (payable again, or cancelled by the payment timeout).
    """
    if payment.captured < payment.amount:
        logger.warning(
            "Payment %s captured %s of %s; the order is not paid and the capture is given back.",
            payment.pk,
            payment.captured,
            payment.amount,
        )
        return _FollowUp(payment.pk, "captured less than the amount due")
    return _after_paid(payment)


# --- Start a payment -------------------------------------------------------------------------


def start_payment(
    *, order: Order, gateway_id: str, payment_data: Mapping[str, Any], actor: Actor
) -> Payment:
    """Pay ``order`` (``pending``) through ``gateway_id``.

    Records a ``pending`` payment for the order's total, calls the gateway outside any
    transaction, then applies its answer. A captured or authorized payment confirms the order
    (``mark_order_paid``) in the same transaction that records the capture.

    :param order: A pending order.
    :param gateway_id: A configured gateway accepting the order's currency.
    :param payment_data: What the buyer sent for the gateway (tokens, phone number, ...).
    :param actor: The user paying, for the audit log.
    :returns: The payment: ``captured``, ``authorized``, or ``pending`` (with ``next_action`` when
        the buyer must do something).
    :raises UnknownPaymentMethodError: unknown or unconfigured gateway, or not for this currency.
    :raises InvalidTransitionError: the order is not pending.
    :raises PaymentDeclinedError: declined; the payment is ``failed``.
    :raises GatewayError: the provider failed; the payment is ``failed``, the order untouched.
    """
    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.orders.states import OrderStatus

    gateway, options = _resolve_gateway(gateway_id, currency=order.currency)
    if not isinstance(payment_data, Mapping):
        raise InvalidInputError(fields={"payment_data": [_("Expected an object.")]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING:
            raise InvalidTransitionError(
                _("Only a pending order can be paid."), status=str(locked.status)
            )
        payment = Payment.objects.create(
            order=locked,
            gateway=gateway.id,
            currency=locked.currency,
            amount=locked.total,
            captured=zero(locked.currency),
            refunded=zero(locked.currency),
            payment_data=redact(dict(payment_data)),
        )
    try:
        result = gateway.create_payment(payment=payment, payment_data=payment_data, options=options)
        if not isinstance(result, PaymentResult):
            raise TypeError(f"{gateway.id}.create_payment returned {result!r}")
    except GatewayError as exc:
        _fail(payment_id=payment.pk, message=str(exc), actor=actor)
        raise GatewayError() from exc
    except Exception as exc:
        logger.exception("Gateway %s failed to create payment %s", gateway.id, payment.pk)
        _fail(payment_id=payment.pk, message=f"{exc.__class__.__name__}: {exc}", actor=actor)
        raise GatewayError() from exc
    payment = _apply_payment_result(payment_id=payment.pk, result=result, actor=actor)
    if result.outcome == Outcome.DECLINED:
        raise PaymentDeclinedError()
    return payment


def _fail(*, payment_id: int, message: str, actor: Actor) -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            payment.failure_message = message[:2000]
            _transition(payment, "fail", actor=actor, note=message[:500])
            _save(payment)
    return payment


def _apply_payment_result(*, payment_id: int, result: PaymentResult, actor: Actor) -> Payment:
    """Apply a gateway's answer to a payment; safe to repeat and to race with webhooks."""
    follow_up = _FollowUp()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if result.reference and not payment.reference:
            payment.reference = result.reference
        status = payment.status
        if result.outcome == Outcome.CAPTURED and status in (
            PaymentStatus.PENDING,
            PaymentStatus.AUTHORIZED,
        ):
            payment.captured = _capped(result.captured, payment.amount)
            payment.next_action = None
            _transition(payment, "capture", actor=actor, note=payment.reference)
            _save(payment)
            follow_up = _after_capture(payment)
        elif result.outcome == Outcome.AUTHORIZED and status == PaymentStatus.PENDING:
            payment.next_action = None
            _transition(payment, "authorize", actor=actor, note=payment.reference)
            _save(payment)
            follow_up = _after_paid(payment)
        elif result.outcome == Outcome.DECLINED and status in (
            PaymentStatus.PENDING,
            PaymentStatus.AUTHORIZED,
        ):
            payment.failure_message = result.message or _("Declined.")
            _transition(payment, "fail", actor=actor, note=result.message[:500])
            _save(payment)
        elif status == PaymentStatus.PENDING:
            if result.next_action is not None:
                payment.next_action = result.next_action.as_dict()
            _save(payment)
        else:
            _save(payment)
            if result.outcome in (Outcome.CAPTURED, Outcome.AUTHORIZED):
                follow_up = _late(payment, result.outcome, result.captured)
    follow_up.run()
    return payment


def _capped(value: Money | None, amount: Money) -> Money:
    if (
        value is None
        or str(value.currency) != str(amount.currency)
        or value.amount <= 0
        or value > amount
    ):
        return amount
    return quantize(value)


# --- Capture ---------------------------------------------------------------------------------


def capture_payment(*, payment_id: int, actor: Actor) -> Payment:
    """Capture an ``authorized`` payment in full through its gateway.

    :raises InvalidTransitionError: the payment is not authorized.
    :raises GatewayError: the provider failed or refused; the payment stays authorized.
    """
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != PaymentStatus.AUTHORIZED:
        raise InvalidTransitionError(transition="capture", status=str(payment.status))
    gateway, options = _resolve_gateway(payment.gateway)
    result: CaptureResult = gateway.capture(payment=payment, amount=payment.amount, options=options)
    if not result.ok:
        raise GatewayError(result.message or None)
    return _apply_payment_result(
        payment_id=payment.pk,
        actor=actor,
        result=PaymentResult(outcome=Outcome.CAPTURED, reference=result.reference),
    )


# --- Refunds ---------------------------------------------------------------------------------


def _pending_refunds(payment_ids: list[int]) -> dict[int, Decimal]:
    rows = (
        Refund.objects.filter(payment_id__in=payment_ids, status=RefundStatus.PENDING)
        .values("payment_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["payment_id"]: row["total"] or Decimal(0) for row in rows}


def _reserve_refunds(
    *,
    order_id: int,
    currency: str,
    amount: Money | None,
    actor: Actor,
    payment_id: int | None = None,
) -> list[Refund]:
    """Reserve refunds (``pending`` rows) for ``amount`` across the captured payments.

    Runs in one short transaction that locks the payments, so concurrent reservations see each
    other and never add up to more than captured minus refunded.
    """
    with transaction.atomic():
        queryset = (
            Payment.objects.select_for_update()
            .filter(order_id=order_id, status__in=CAPTURED_STATUSES)
            .order_by("created_at", "id")
        )
        if payment_id is not None:
            queryset = queryset.filter(pk=payment_id)
        payments = list(queryset)
        pending = _pending_refunds([p.pk for p in payments])
        refundable = {
            p.pk: p.captured.amount - p.refunded.amount - pending.get(p.pk, Decimal(0))
            for p in payments
        }
        available = Money(sum(refundable.values(), Decimal(0)), currency)
        wanted = available if amount is None else amount
        if wanted.amount <= 0 or wanted > available:
            raise RefundExceedsCapturedError(refundable=_money_json(available))
        refunds: list[Refund] = []
        left = wanted.amount
        for payment in payments:
            part = min(left, refundable[payment.pk])
            if part <= 0:
                continue
            refunds.append(
                Refund.objects.create(
                    payment=payment,
                    currency=currency,
                    amount=Money(part, currency),
                    actor=_user_or_none(actor),
                )
            )
            left -= part
            if left <= 0:
                break
    return refunds


def _settle_refund(
    *, refund_id: int, result: RefundResult | None, error: str, actor: Actor
) -> Payment:
    """Apply a gateway's answer to a reserved refund; safe to repeat."""
    with transaction.atomic():
        refund = Refund.objects.get(pk=refund_id)
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            return payment
        if result is None or not result.ok:
            refund.status = RefundStatus.FAILED
            refund.failure_message = (error or (result.message if result else ""))[:2000]
            refund.save(update_fields=["status", "failure_message", "updated_at"])
            return payment
        refund.status = RefundStatus.SUCCEEDED
        refund.reference = result.reference[:255]
        refund.save(update_fields=["status", "reference", "updated_at"])
        _add_refunded(payment, refund.amount, actor=actor, note=f"refund #{refund.pk}")
    return payment


def _add_refunded(payment: Payment, amount: Money, *, actor: Actor, note: str) -> None:
    """Book ``amount`` as refunded on a locked, captured payment and transition it."""
    room = payment.captured - payment.refunded
    payment.refunded = payment.refunded + (amount if amount <= room else room)
    name = "refund_fully" if payment.refunded >= payment.captured else "refund_partially"
    _transition(payment, name, actor=actor, note=f"{note}: {amount}")
    _save(payment)


def _execute_refunds(refunds: list[Refund], *, actor: Actor) -> tuple[list[Payment], list[str]]:
    """Call the gateway for each reserved refund (no transaction open) and settle it."""
    payments: dict[int, Payment] = {}
    errors: list[str] = []
    for refund in refunds:
        payment = refund.payment
        result: RefundResult | None = None
        error = ""
        try:
            gateway, options = _resolve_gateway(payment.gateway)
            result = gateway.refund(
                payment=payment, amount=refund.amount, refund_id=str(refund.pk), options=options
            )
            if not isinstance(result, RefundResult):
                raise TypeError(f"{gateway.id}.refund returned {result!r}")
            if not result.ok:
                error = result.message or "refused by the provider"
        except (GatewayError, UnknownPaymentMethodError) as exc:
            error = str(exc)
        except Exception as exc:
            logger.exception("Gateway %s failed to refund payment %s", payment.gateway, payment.pk)
            error = f"{exc.__class__.__name__}: {exc}"
        payments[payment.pk] = _settle_refund(
            refund_id=refund.pk, result=result, error=error, actor=actor
        )
        if error:
            errors.append(error)
    return list(payments.values()), errors


def refund_order(*, order: Order, amount: Money | None, actor: Actor) -> list[Payment]:
    """Refund ``amount`` (default: all that is refundable) of the order's captured payments.

    The amount is first reserved against the payments in a short transaction (so racing refunds
    never exceed what was captured), then each gateway is called with no lock held, then each
    reservation is confirmed or released.

    :param amount: A positive amount in the order's currency, or ``None`` for everything.
    :returns: The payments that were refunded from (as saved).
    :raises InvalidInputError: ``amount`` is not positive or not in the order's currency.
    :raises RefundExceedsCapturedError: more than captured minus refunded (or nothing to refund).
    :raises GatewayError: a gateway failed; its part is not refunded, the others are.
    """
    if amount is not None:
        if not isinstance(amount, Money) or str(amount.currency) != order.currency:
            raise InvalidInputError(
                fields={
                    "amount": [
                        _("The amount must be in the order's currency (%(currency)s).")
                        % {"currency": order.currency}
                    ]
                }
            )
        if amount.amount <= 0:
            raise InvalidInputError(
                fields={"amount": [_("Ensure this amount is greater than zero.")]}
            )
        amount = quantize(amount)
    refunds = _reserve_refunds(
        order_id=order.pk, currency=order.currency, amount=amount, actor=actor
    )
    payments, errors = _execute_refunds(refunds, actor=actor)
    if errors:
        raise GatewayError(
            _("The payment provider could not refund the payment; nothing was refunded for it.")
        )
    return payments


def retry_pending_refunds(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Call the gateway again for refunds reserved long ago and never settled, then settle them.

    A reservation stays ``pending`` when the process stopped between the gateway call and its
    settlement. The call is repeated with the same ``refund_id`` (the provider's idempotency key),
    so a refund that did go through is not made twice; a failure releases the reservation.

    :param older_than: Only reservations at least this old (calls under way are left alone).
    :returns: How many reservations were settled.
    """
    cutoff = timezone.now() - older_than
    refunds = list(
        Refund.objects.filter(
            status=RefundStatus.PENDING,
            created_at__lt=cutoff,
            payment__status__in=CAPTURED_STATUSES,
        )
        .select_related("payment")
        .order_by("id")
    )
    _execute_refunds(refunds, actor=None)
    return len(refunds)


# --- Release (after an order was cancelled) --------------------------------------------------


def _release_payment(*, payment_id: int, actor: Actor, note: str) -> None:
    """Give back what a payment holds: void an authorization, refund a capture, fail a pending.

    Gateway failures are logged, not raised: the payment is then left for staff to settle.
    """
    payment = Payment.objects.get(pk=payment_id)
    if payment.status == PaymentStatus.PENDING:
        _fail(payment_id=payment.pk, message=note, actor=actor)
    elif payment.status == PaymentStatus.AUTHORIZED:
        try:
            gateway, options = _resolve_gateway(payment.gateway)
            result: VoidResult = gateway.void(payment=payment, options=options)
        except Exception:
            logger.exception("Could not void payment %s", payment.pk)
            return
        if not result.ok:
            logger.error(
                "Gateway %s refused to void payment %s: %s",
                payment.gateway,
                payment.pk,
                result.message,
            )
            return
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status == PaymentStatus.AUTHORIZED:
                _transition(locked, "void", actor=actor, note=note)
                _save(locked)
    elif payment.status in CAPTURED_STATUSES:
        try:
            refunds = _reserve_refunds(
                order_id=payment.order_id,
                currency=payment.currency,
                amount=None,
                actor=actor,
                payment_id=payment.pk,
            )
        except RefundExceedsCapturedError:
            return  # nothing left to refund (another refund is under way or done)
        _, errors = _execute_refunds(refunds, actor=actor)
        for error in errors:
            logger.error("Could not refund payment %s: %s", payment.pk, error)


def release_order_payments(*, order: Order, actor: Actor) -> None:
    """Give back the money of a cancelled order; call after the cancellation committed.

    Voids authorized payments, refunds captured ones (what is left of them) and fails pending
    ones. A gateway failure is logged and leaves that payment for staff to settle.
    """
    for payment_id in (
        Payment.objects.filter(order_id=order.pk)
        .exclude(status__in=(PaymentStatus.FAILED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    ):
        _release_payment(payment_id=payment_id, actor=actor, note="order cancelled")


# --- Webhooks --------------------------------------------------------------------------------


def _find_payment(gateway_id: str, event: WebhookEvent) -> Payment:
    queryset = Payment.objects.select_for_update().filter(gateway=gateway_id)
    if event.payment_id is not None and 0 < event.payment_id <= MAX_PK:
        payment = queryset.filter(pk=event.payment_id).first()
    elif event.reference:
        payment = queryset.filter(reference=event.reference).first()
    else:
        payment = None
    if payment is None:
        raise NotFoundError(_("Unknown payment."))
    return payment


def _apply_event(payment: Payment, event: WebhookEvent) -> tuple[str, _FollowUp]:
    """Apply an authentic, first-seen event to a locked payment; return (outcome, follow-up)."""
    if event.amount is not None and str(event.amount.currency) != payment.currency:
        raise InvalidInputError(fields={"amount": [_("The currency differs from the payment's.")]})
    status = payment.status
    note = f"webhook {event.event_id}"
    if event.type == WebhookEventType.PAYMENT_CAPTURED:
        if event.amount is not None and event.amount.amount <= 0:
            raise InvalidInputError(
                fields={"amount": [_("A captured amount must be greater than zero.")]}
            )
        if status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            return f"ignored: payment is {status}", _late(payment, Outcome.CAPTURED, event.amount)
        payment.captured = _capped(event.amount, payment.amount)
        payment.next_action = None
        _transition(payment, "capture", actor=None, note=note)
        _save(payment)
        return "captured", _after_capture(payment)
    if event.type == WebhookEventType.PAYMENT_AUTHORIZED:
        if status != PaymentStatus.PENDING:
            return f"ignored: payment is {status}", _late(payment, Outcome.AUTHORIZED, None)
        payment.next_action = None
        _transition(payment, "authorize", actor=None, note=note)
        _save(payment)
        return "authorized", _after_paid(payment)
    if event.type == WebhookEventType.PAYMENT_FAILED:
        if status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
            return f"ignored: payment is {status}", _FollowUp()
        message = event.payload.get("message") if isinstance(event.payload, Mapping) else None
        payment.failure_message = str(message or _("Failed at the provider."))[:2000]
        payment.next_action = None
        _transition(payment, "fail", actor=None, note=note)
        _save(payment)
        return "failed", _FollowUp()
    if event.type == WebhookEventType.PAYMENT_REFUNDED:
        if status not in CAPTURED_STATUSES:
            return f"ignored: payment is {status}", _FollowUp()
        pending = _pending_refunds([payment.pk]).get(payment.pk, Decimal(0))
        room = payment.captured - payment.refunded - Money(pending, payment.currency)
        amount = room if event.amount is None or event.amount > room else event.amount
        if amount.amount <= 0:
            return "ignored: nothing left to refund", _FollowUp()
        Refund.objects.create(
            payment=payment,
            currency=payment.currency,
            amount=amount,
            status=RefundStatus.SUCCEEDED,
            reference=event.event_id[:255],
        )
        _add_refunded(payment, amount, actor=None, note=note)
        return "refunded", _FollowUp()
    return "ignored: unknown event type", _FollowUp()


def handle_webhook(*, gateway_id: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify, deduplicate and apply a webhook request from ``gateway_id``.

    The gateway checks the signature over the raw body before anything is read. The event is then
    applied at most once: a unique (gateway, event id) row is written in the same transaction as
    the change, so repeated or racing deliveries find it and change nothing.

    :returns: What happened: ``"captured"``, ``"failed"``, ``"duplicate"``, ``"ignored: ..."``.
    :raises GatewayNotFoundError: unknown or unconfigured gateway (404).
    :raises InvalidSignatureError: missing or wrong signature (400); nothing changed.
    :raises InvalidInputError: an authentic body that cannot be understood (400).
    :raises NotFoundError: the event names no payment of this gateway (404).
    """
    gateway = plugins.get_gateway(gateway_id)
    options = plugins.gateway_options(gateway.id)
    try:
        event = gateway.parse_webhook(body=body, headers=headers, options=options)
    except RecursionError:
        # json.loads on a body nested deeper than the recursion limit (not a ValueError).
        raise InvalidInputError(_("The webhook body is nested too deeply.")) from None
    if not isinstance(event, WebhookEvent):
        raise TypeError(f"{gateway.id}.parse_webhook returned {event!r}")
    if contains_null_character([event.event_id, event.type, event.reference, event.payload]):
        raise InvalidInputError(fields={"body": [str(NULL_CHARACTERS_MESSAGE)]})
    with transaction.atomic():
        payment = _find_payment(gateway.id, event)
        try:
            with transaction.atomic():
                record = WebhookEventRecord.objects.create(
                    gateway=gateway.id,
                    event_id=event.event_id[:255],
                    event_type=event.type[:100],
                    payment=payment,
                    payload=redact(dict(event.payload)),
                )
        except IntegrityError:
            return "duplicate"
        outcome, follow_up = _apply_event(payment, event)
        record.outcome = outcome[:255]
        record.save(update_fields=["outcome"])
    follow_up.run()
    return outcome
