"""Payments: checkout's payment, captures, refunds, voids, webhooks, and their ledger.

Every money movement with a provider is a :class:`~ecommerce_kit.payments.models.LedgerEntry`.
What a payment holds, its status, and the order's money status are derived from those entries
(:mod:`ecommerce_kit.payments.ledger`), never pushed by a code path of its own.

Locks and calls:

- Every change takes the order's row lock, then the payment's (always in that order, as the
  orders app does), writes entries, and recomputes (:func:`_settle`): the payment's totals and
  status, deferred webhook events that can now be applied, and the order's money status, which is
  announced through the ``order_money_changed`` hook so that the orders app confirms, holds or
  resumes the order in the same transaction.
- No gateway is called while a lock is held. A call the kit makes is first recorded as a
  ``requested`` entry with its own idempotency key (a short transaction), then made with no
  transaction open, then settled in a second short transaction that is safe to repeat. A call
  that times out leaves its entry ``unknown``, its amount still reserved; :func:`retry_open_entries`
  calls again with the same key until the provider answers.
- When an order is cancelled, or holds more than it is owed (paid twice, or too much), the money
  is given back (voids and refunds planned by :func:`_plan_give_backs`), whichever event made it so.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
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
    PaymentInProgressError,
    RefundExceedsCapturedError,
    UnknownPaymentMethodError,
)
from ecommerce_kit.money import quantize
from ecommerce_kit.orders import audit
from ecommerce_kit.orders import services as orders
from ecommerce_kit.orders.audit import record_transition
from ecommerce_kit.orders.models import Order
from ecommerce_kit.orders.selectors import cache_related, with_order_details
from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.payments import ledger
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
from ecommerce_kit.payments.models import LedgerEntry, Payment, new_key
from ecommerce_kit.payments.models import WebhookEvent as WebhookEventRecord
from ecommerce_kit.payments.states import (
    ENDED_STATUSES,
    OPEN_STATES,
    EntryKind,
    EntrySource,
    EntryState,
    PaymentStatus,
    RefundReason,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Actor = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger(__name__)

__all__ = [
    "capture_payment",
    "checkout",
    "handle_webhook",
    "pay_order",
    "recompute_payments",
    "refund_order",
    "release_order_payments",
    "resync_payment",
    "retry_open_entries",
    "start_payment",
]

MAX_PK = 2**63 - 1
T = TypeVar("T")


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


def _user_or_none(actor: Actor) -> Any:
    """Return the user behind ``actor``, or ``None`` for the system and anonymous users."""
    return actor if actor is not None and actor.is_authenticated else None


def _valid_amount(value: Any, currency: str) -> Money | None:
    """``value`` as Money when it is Money in ``currency`` and above zero, else ``None``."""
    if not isinstance(value, Money) or str(value.currency) != currency or value.amount <= 0:
        return None
    if not value.amount.is_finite():
        return None
    return quantize(value)


def _slot_key(payment: Payment, slot: str) -> str:
    """The key of a movement that belongs to the payment itself (its authorization, its capture
    when the provider names no other, its failure, a void the provider reports): booked once."""
    return f"{payment.idempotency_key}:{slot}"


def _lock(payment_id: int, order_id: int | None = None) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment (the order first, as everywhere)."""
    if order_id is None:
        order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFoundError(_("Unknown payment."))
    order = Order.objects.select_for_update().get(pk=order_id)
    # Every save of an order moves its ``updated_at``: what it was when locked tells a caller
    # whether the order changed since it last wrote it.
    order._kit_locked_version = order.updated_at  # type: ignore[attr-defined]
    # Every change to a payment locks its order first, so the order's lock covers its payments:
    # they are read (not locked again) in the one query that the order's money needs anyway.
    payments = _order_payments(order)
    payment = next((p for p in payments if p.pk == payment_id), None)
    if payment is None:
        raise NotFoundError(_("Unknown payment."))
    return order, payment


# --- Recording and recomputing ---------------------------------------------------------------


def _book(
    payment: Payment,
    *,
    kind: str,
    state: str,
    amount: Money,
    source: str,
    key: str | None = None,
    reference: str = "",
    event_id: str = "",
    reason: str = "",
    message: str = "",
    actor: Actor = None,
) -> LedgerEntry:
    """Write one ledger entry of the (locked) payment."""
    rows = _rows(payment)
    entry = LedgerEntry.objects.create(
        payment=payment,
        kind=kind,
        state=state,
        currency=payment.currency,
        amount=quantize(amount),
        idempotency_key=key,
        reference=reference[:255],
        source=source,
        event_id=event_id[:255],
        reason=reason,
        message=message[:2000],
        actor=_user_or_none(actor),
    )
    rows.append(entry)
    return entry


def _rows(payment: Payment) -> list[LedgerEntry]:
    """The (locked) payment's ledger entries, read once per change and kept current in memory."""
    rows: list[LedgerEntry] | None = getattr(payment, "_ledger_rows", None)
    if rows is None:
        rows = list(LedgerEntry.objects.filter(payment=payment).order_by("id"))
        payment._ledger_rows = rows  # type: ignore[attr-defined]
    return rows


def _find(payment: Payment, **attributes: Any) -> list[LedgerEntry]:
    """The payment's entries whose attributes have the given values (``state`` may be a tuple)."""
    found = []
    for entry in _rows(payment):
        for name, wanted in attributes.items():
            value = getattr(entry, name)
            if isinstance(wanted, tuple) and value not in wanted:
                break
            if not isinstance(wanted, tuple) and value != wanted:
                break
        else:
            found.append(entry)
    return found


def _request(payment: Payment, kind: str, amount: Money, **fields: Any) -> int:
    """Record a call the kit is about to make (``requested``, with a fresh key); return its id."""
    return _book(
        payment, kind=kind, state=EntryState.REQUESTED, amount=amount, key=new_key(), **fields
    ).pk


def _book_slot(payment: Payment, slot: str, **fields: Any) -> LedgerEntry | None:
    """Book the payment's own movement ``slot`` unless it is booked already."""
    key = _slot_key(payment, slot)
    if _find(payment, idempotency_key=key):
        return None
    return _book(payment, key=key, **fields)


def _totals(payment: Payment) -> ledger.PaymentTotals:
    return ledger.payment_totals(_rows(payment), payment.currency)


def _derived(totals: ledger.PaymentTotals) -> dict[str, Any]:
    """The payment's stored fields that its ledger decides."""
    return {
        "authorized": totals.money(totals.authorized),
        "captured": totals.money(totals.captured),
        "refunded": totals.money(totals.refunded),
        "refund_pending": totals.money(totals.refund_pending),
        "voided": totals.money(totals.voided),
        "credited": totals.money(totals.credited),
    }


def _recompute(
    payment: Payment, *, actor: Actor, note: str, also: Iterable[str] = ()
) -> ledger.PaymentTotals:
    """Write the (locked) payment's totals and status as its ledger says (and the fields named in
    ``also``, changed by the caller); audit a status change."""
    totals = _totals(payment)
    values = _derived(totals)
    changed = [name for name, value in values.items() if getattr(payment, name) != value]
    for name in changed:
        setattr(payment, name, values[name])
    changed += [name for name in also if name not in changed]
    if payment.live and totals.status in ENDED_STATUSES:
        payment.live = False  # never live again: money that arrives later is given back
        changed.append("live")
    source, target = str(payment.status), str(totals.status)
    if target != source:
        payment.settle(target)
        changed.append("status")
        if target not in (PaymentStatus.PENDING,):
            payment.next_action = None
            changed.append("next_action")
        record_transition(
            order=payment.order_id,
            subject="payment",
            subject_id=payment.pk,
            transition=target,
            source=source,
            target=target,
            actor=actor,
            note=note[:2000],
        )
        plugins.notify_payment_status_changed(
            payment=payment, source=source, target=target, actor=_user_or_none(actor)
        )
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])
    return totals


def _order_payments(order: Order, current: Iterable[Payment] = ()) -> list[Payment]:
    """The (locked) order's payments, newest first, read once per change with their ledgers.

    ``current`` instances (changed in memory) replace their rows.
    """
    payments: list[Payment] | None = getattr(order, "_kit_payments", None)
    if payments is None:
        payments = _read_payments(order)
        order._kit_payments = payments  # type: ignore[attr-defined]
    mine = {payment.pk: payment for payment in current}
    if mine:
        payments[:] = [mine.get(payment.pk, payment) for payment in payments]
    return payments


_PAYMENT_FIELDS = tuple(field.attname for field in Payment._meta.concrete_fields)
_ENTRY_FIELDS = tuple(field.attname for field in LedgerEntry._meta.concrete_fields)
_ENTRY_COLUMNS = tuple(
    f"entries__{field.name if field.is_relation else field.attname}"
    for field in LedgerEntry._meta.concrete_fields
)


@functools.cache
def _payment_rows() -> QuerySet[Payment, tuple[Any, ...]]:
    # Built once per process and filtered per order (building the join of every column of both
    # tables costs more than cloning it).
    return Payment.objects.order_by("-created_at", "-id", "entries__id").values_list(
        *_PAYMENT_FIELDS, *_ENTRY_COLUMNS
    )


def _read_payments(order: Order) -> list[Payment]:
    """Read the order's payments and their ledger entries in one query (a left join).

    Each payment's entries (in id order) become its ledger rows (:func:`_rows`) and its
    prefetched ``entries``.
    """
    rows = _payment_rows().filter(order_id=order.pk)
    database = rows.db
    width = len(_PAYMENT_FIELDS)
    payments: dict[int, Payment] = {}
    for row in rows:
        payment = payments.get(row[0])
        if payment is None:
            payment = Payment.from_db(database, _PAYMENT_FIELDS, row[:width])
            payment.order = order
            payment._ledger_rows = []  # type: ignore[attr-defined]
            payments[payment.pk] = payment
        if row[width] is not None:
            entry = LedgerEntry.from_db(database, _ENTRY_FIELDS, row[width:])
            entry.payment = payment
            payment._ledger_rows.append(entry)  # type: ignore[attr-defined]
    return list(payments.values())


def _order_money(order: Order, payments: Iterable[Payment]) -> ledger.OrderMoney:
    """Add up the (locked) order's payments, from their ledgers."""
    return ledger.order_money(
        total=order.total,
        cancelled=order.cancelled_amount,
        payments=[_totals(payment) for payment in payments],
    )


def _settle(
    order: Order, payment: Payment, *, actor: Actor, note: str = "", also: Iterable[str] = ()
) -> list[int]:
    """Recompute after the (locked) payment's ledger changed; return entries to call out.

    Applies the payment's deferred webhook events that the change made applicable, announces the
    order's money status (the orders app reacts in this transaction), then plans what must be
    given back.
    """
    _recompute(payment, actor=actor, note=note, also=also)
    for _round in range(20):  # each round applies at least one deferred event, or stops
        if not _apply_deferred(payment):
            break
        _recompute(payment, actor=actor, note=note)
    return _announce(order, [payment], actor=actor)


def _announce(order: Order, current: Iterable[Payment], *, actor: Actor) -> list[int]:
    """Plan what the (locked) order must give back, then announce its money status.

    The planned voids and refunds are recorded (``requested``) before the announcement, so that
    the payments' totals and the order's money already count them.
    """
    payments = _order_payments(order, current)
    money = _order_money(order, payments)
    planned = _plan_give_backs(order, money, payments, actor=actor)
    if planned:
        for payment in payments:
            if any(entry.pk in planned for entry in getattr(payment, "_ledger_rows", ())):
                _recompute(payment, actor=actor, note="give back")
        money = _order_money(order, payments)
    plugins.announce_order_money(order=order, money=money, actor=_user_or_none(actor))
    return planned


def _change(
    payment_id: int,
    change: Callable[[Order, Payment], T],
    *,
    actor: Actor,
    note: str = "",
    order_id: int | None = None,
    also: Iterable[str] = (),
) -> T:
    """Run ``change`` on the locked order and payment, recompute, then make the calls it needs.

    :param also: Payment fields ``change`` sets, saved with the recomputed ones.
    """
    with transaction.atomic(), audit.batched():
        order, payment = _lock(payment_id, order_id)
        result = change(order, payment)
        calls = _settle(order, payment, actor=actor, note=note, also=also)
    # The order as locked above is no longer the latest once calls changed it again.
    order._kit_called_out = bool(calls)  # type: ignore[attr-defined]
    _call_entries(calls, actor=actor)
    return result


# --- Giving money back -----------------------------------------------------------------------


def _plan_give_backs(
    order: Order, money: ledger.OrderMoney, payments: list[Payment], *, actor: Actor
) -> list[int]:
    """Record ``requested`` voids and refunds for what the (locked) order must give back.

    A cancelled order gives back everything its payments hold, and a pending payment that could
    still be completed at the provider is voided. Any other order gives back what it holds beyond
    what it is owed, newest payment first. Nothing is planned twice: open entries already count
    (a pending refund is no longer held), and a void or refund the provider refused is left for
    staff to settle.
    """
    planned: list[int] = []
    if order.status == OrderStatus.CANCELLED:
        for payment in payments:
            planned += _give_back(payment, everything=True, limit=None, actor=actor)
        return planned
    surplus = money.surplus.amount
    for payment in payments:
        if surplus <= 0:
            break
        entries = _give_back(payment, everything=False, limit=surplus, actor=actor)
        for entry in _rows(payment):
            if entry.pk in entries:
                surplus -= entry.amount.amount
        planned += entries
    return planned


def _give_back(
    payment: Payment, *, everything: bool, limit: Decimal | None, actor: Actor
) -> list[int]:
    """Plan the void and refund giving back what ``payment`` holds (up to ``limit``)."""
    entries = _rows(payment)
    totals = ledger.payment_totals(entries, payment.currency)
    # What the provider refused once is left for staff to settle, never asked again and again.
    refused = {
        (e.kind, e.reason)
        for e in entries
        if e.state == EntryState.FAILED and e.kind in (EntryKind.VOID, EntryKind.REFUND)
    }
    reason = RefundReason.RELEASE if everything else RefundReason.SURPLUS
    message = _("Order cancelled.") if everything else _("Paid beyond what is owed.")
    planned: list[int] = []
    left = limit
    # Release an authorization first (nothing was taken for it), then refund what was taken.
    open_void = any(e.kind == EntryKind.VOID and e.state in OPEN_STATES for e in entries)
    void = Decimal(0)
    if not open_void and (EntryKind.VOID, "") not in refused:
        if totals.authorized > 0 and (left is None or left >= totals.authorized):
            void = totals.authorized
        elif everything and totals.status == PaymentStatus.PENDING:
            # A payment the buyer could still complete (a reference or mobile payment).
            void = payment.amount.amount
    if void > 0:
        planned.append(
            _request(
                payment,
                EntryKind.VOID,
                totals.money(void),
                source=EntrySource.SYSTEM,
                message=message,
            )
        )
        if left is not None:
            left -= min(void, totals.authorized)
    refundable = totals.refundable if left is None else min(totals.refundable, left)
    if refundable > 0 and (EntryKind.REFUND, reason) not in refused:
        planned.append(
            _request(
                payment,
                EntryKind.REFUND,
                totals.money(refundable),
                source=EntrySource.SYSTEM,
                reason=reason,
                message=message,
            )
        )
    return planned


# --- Calling the provider for a recorded entry -----------------------------------------------


@dataclass
class _Answer:
    """What a call for an entry achieved: ``ok`` is None when the outcome is unknown."""

    ok: bool | None
    reference: str = ""
    message: str = ""
    amount: Money | None = None


def _call(entry: LedgerEntry, payment: Payment) -> _Answer:
    """Call the provider for ``entry`` with its key; no transaction may be open."""
    key = str(entry.idempotency_key)
    try:
        gateway, options = _resolve_gateway(payment.gateway)
        if entry.kind == EntryKind.REFUND:
            result: Any = gateway.refund(
                payment=payment, amount=entry.amount, idempotency_key=key, options=options
            )
            expected: type[Any] = RefundResult
        elif entry.kind == EntryKind.CAPTURE:
            result = gateway.capture(
                payment=payment, amount=entry.amount, idempotency_key=key, options=options
            )
            expected = CaptureResult
        else:
            result = gateway.void(payment=payment, idempotency_key=key, options=options)
            expected = VoidResult
        if not isinstance(result, expected):
            raise TypeError(f"{gateway.id}.{entry.kind} returned {result!r}")
    except (GatewayError, UnknownPaymentMethodError) as exc:
        return _Answer(ok=None, message=str(exc))
    except Exception as exc:
        logger.exception("Gateway %s failed on %s %s", payment.gateway, entry.kind, entry.pk)
        return _Answer(ok=None, message=f"{exc.__class__.__name__}: {exc}")
    result = cast(Any, result)
    amount = getattr(result, "amount", None)
    if amount is not None and (
        _valid_amount(amount, payment.currency) is None or amount > entry.amount
    ):
        return _Answer(ok=None, message=f"The provider answered an invalid amount: {amount!r}.")
    return _Answer(
        ok=bool(result.ok),
        reference=str(result.reference or "")[:255],
        message=str(result.message or ""),
        amount=amount,
    )


def _call_entries(entry_ids: Iterable[int], *, actor: Actor) -> list[_Answer]:
    """Call out for each ``requested`` or ``unknown`` entry, then settle it (and what follows)."""
    answers = []
    queue = list(entry_ids)
    while queue:
        entry = LedgerEntry.objects.select_related("payment").filter(pk=queue.pop(0)).first()
        if entry is None or entry.state not in OPEN_STATES:
            continue
        answer = _call(entry, entry.payment)
        answers.append(answer)
        with transaction.atomic(), audit.batched():
            order, payment = _lock(entry.payment_id, entry.payment.order_id)
            _settle_entry(payment, entry.pk, answer)
            queue += _settle(order, payment, actor=actor, note=f"{entry.kind} {entry.pk}")
    return answers


def _settle_entry(payment: Payment, entry_id: int, answer: _Answer) -> None:
    """Apply a provider's answer to an open entry of the (locked) payment; safe to repeat."""
    entry = _find(payment, pk=entry_id)[0]
    entry.attempts += 1
    if entry.state not in OPEN_STATES:  # settled meanwhile by a webhook event or another call
        entry.save(update_fields=["attempts", "updated_at"])
        return
    if answer.ok is None:
        entry.state = EntryState.UNKNOWN
        entry.message = answer.message[:2000]
        entry.save(update_fields=["state", "message", "attempts", "updated_at"])
        logger.warning("No answer for %s %s; it will be retried: %s", entry.kind, entry.pk, answer)
        return
    if not answer.ok:
        entry.state = EntryState.FAILED
        entry.message = (answer.message or _("Refused by the provider."))[:2000]
        entry.save(update_fields=["state", "message", "attempts", "updated_at"])
        logger.error("The provider refused %s %s: %s", entry.kind, entry.pk, entry.message)
        if entry.kind == EntryKind.VOID and _totals(payment).status == PaymentStatus.PENDING:
            # A pending payment that cannot be voided is abandoned here; money that arrives for
            # it later is given back.
            _book_slot(
                payment,
                "failure",
                kind=EntryKind.CAPTURE,
                state=EntryState.FAILED,
                amount=payment.amount,
                source=EntrySource.SYSTEM,
                message=entry.message,
            )
        return
    entry.state = EntryState.SUCCEEDED
    if answer.amount is not None:
        entry.amount = quantize(answer.amount)
    if answer.reference and not _reference_taken(payment, entry, answer.reference):
        entry.reference = answer.reference
    entry.save(update_fields=["state", "amount", "reference", "attempts", "updated_at"])
    if entry.kind == EntryKind.REFUND:
        plugins.notify_refund_succeeded(payment=payment, entry=entry)
    if entry.kind == EntryKind.CAPTURE and entry.idempotency_key:
        # A capture ends its authorization: the provider releases what it did not take.
        rest = _totals(payment).authorized
        if rest > 0:
            _book(
                payment,
                kind=EntryKind.VOID,
                state=EntryState.SUCCEEDED,
                amount=Money(rest, payment.currency),
                key=f"{entry.idempotency_key}:rest",
                source=EntrySource.GATEWAY,
                message=_("Released by a capture of less than was authorized."),
            )


def _reference_taken(payment: Payment, entry: LedgerEntry, reference: str) -> bool:
    """Whether another entry already books the movement the provider calls ``reference``."""
    return any(
        other.pk != entry.pk and other.state != EntryState.FAILED
        for other in _find(payment, kind=entry.kind, reference=reference)
    )


# --- Start a payment -------------------------------------------------------------------------


def start_payment(
    *, order: Order, gateway_id: str, payment_data: Mapping[str, Any], actor: Actor
) -> Payment:
    """Pay ``order`` (``pending``) through ``gateway_id``.

    Records a ``pending`` payment for the order's total, calls the gateway outside any
    transaction with the payment's idempotency key, then books its answer in the ledger (an
    authorization, a capture, or a failure); the order is confirmed when that covers its total.
    An order has one live payment at a time: while one is pending or holds money, another
    request is refused before any gateway is called.

    The payment is returned with its ``order`` as locked and changed last, and its ledger.

    :raises UnknownPaymentMethodError: unknown or unconfigured gateway, or not for this currency.
    :raises InvalidTransitionError: the order is not pending.
    :raises PaymentInProgressError: the order already has a live payment.
    :raises PaymentDeclinedError: declined; the payment is ``failed``.
    :raises GatewayError: the provider failed or answered nonsense; the payment is ``failed``.
    """
    gateway, options = _resolve_gateway(gateway_id, currency=order.currency)
    if not isinstance(payment_data, Mapping):
        raise InvalidInputError(fields={"payment_data": [_("Expected an object.")]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING:
            raise InvalidTransitionError(
                _("Only a pending order can be paid."), status=str(locked.status)
            )
        try:
            # One live payment per order, by a unique index: a racing start waits for the first
            # to commit and then fails here (the order's lock alone would not show it the new
            # payment row under READ COMMITTED).
            with transaction.atomic():
                payment = _new_payment(locked, gateway, payment_data)
        except IntegrityError:
            live = Payment.objects.filter(order=locked, live=True).values_list("pk", flat=True)
            raise PaymentInProgressError(payment=live.first()) from None
    return _run_payment(payment, gateway, options, payment_data, actor=actor)


def _new_payment(order: Order, gateway: PaymentGateway, payment_data: Mapping[str, Any]) -> Payment:
    """Record the ``pending`` payment of the (locked, pending) order."""
    return Payment.objects.create(
        order=order,
        gateway=gateway.id,
        currency=order.currency,
        amount=order.total,
        payment_data=redact(dict(payment_data)),
        live=True,
    )


def _run_payment(
    payment: Payment,
    gateway: PaymentGateway,
    options: dict[str, Any],
    payment_data: Mapping[str, Any],
    *,
    actor: Actor,
) -> Payment:
    """Call the gateway for the recorded ``payment`` (no transaction open), then book its answer
    (:func:`start_payment`)."""
    try:
        result = gateway.create_payment(
            payment=payment,
            payment_data=payment_data,
            idempotency_key=payment.idempotency_key,
            options=options,
        )
        if not isinstance(result, PaymentResult):
            raise TypeError(f"{gateway.id}.create_payment returned {result!r}")
        for name in ("captured", "authorized"):
            value = getattr(result, name)
            if value is not None and (
                _valid_amount(value, payment.currency) is None or value > payment.amount
            ):
                raise TypeError(f"{gateway.id}.create_payment answered {name}={value!r}")
    except GatewayError as exc:
        _fail(payment.pk, message=str(exc), actor=actor)
        raise GatewayError() from exc
    except Exception as exc:
        logger.exception("Gateway %s failed to create payment %s", gateway.id, payment.pk)
        _fail(payment.pk, message=f"{exc.__class__.__name__}: {exc}", actor=actor)
        raise GatewayError() from exc
    payment = _change(
        payment.pk,
        lambda order, locked: _apply_result(locked, result),
        actor=actor,
        note=result.reference,
        order_id=payment.order_id,
        also=RESULT_FIELDS,
    )
    if result.outcome == Outcome.DECLINED:
        raise PaymentDeclinedError()
    return payment


def _fail(payment_id: int, *, message: str, actor: Actor) -> None:
    """Book the failure of a payment whose creation failed (nothing taken, as far as we know)."""

    def change(order: Order, payment: Payment) -> None:
        payment.failure_message = message[:2000]
        payment.save(update_fields=["failure_message", "updated_at"])
        _book_slot(
            payment,
            "failure",
            kind=EntryKind.CAPTURE,
            state=EntryState.FAILED,
            amount=payment.amount,
            source=EntrySource.GATEWAY,
            message=message,
        )

    _change(payment_id, change, actor=actor, note=message[:500])


#: The payment fields :func:`_apply_result` sets (saved by the caller with the recomputed ones).
RESULT_FIELDS = ("reference", "next_action", "failure_message")


def _apply_result(payment: Payment, result: PaymentResult) -> Payment:
    """Book a gateway's answer to ``create_payment`` (payment locked); safe to repeat."""
    if result.reference and not payment.reference:
        payment.reference = result.reference[:255]
    if result.outcome == Outcome.PENDING and result.next_action is not None:
        payment.next_action = result.next_action.as_dict()
    if result.outcome == Outcome.DECLINED:
        payment.failure_message = result.message or _("Declined.")
    source, reference = EntrySource.GATEWAY, result.reference
    if result.outcome == Outcome.AUTHORIZED:
        _book_slot(
            payment,
            "authorization",
            kind=EntryKind.AUTHORIZATION,
            state=EntryState.SUCCEEDED,
            amount=result.authorized or payment.amount,
            source=source,
            reference=reference,
        )
    elif result.outcome == Outcome.CAPTURED:
        _book_capture(payment, result.captured or payment.amount, source=source, event_id="")
    elif result.outcome == Outcome.DECLINED:
        _book_slot(
            payment,
            "failure",
            kind=EntryKind.CAPTURE,
            state=EntryState.FAILED,
            amount=payment.amount,
            source=source,
            message=result.message or _("Declined."),
        )
    return payment


def _book_capture(payment: Payment, amount: Money, *, source: str, event_id: str) -> str:
    """Book the payment's own capture (the provider names no other): once, whatever reports it.

    An open capture the kit requested is the one reported. A capture of less than the payment's
    amount releases the rest (a void of the difference, booked with it).
    """
    open_entries = _find(payment, kind=EntryKind.CAPTURE, state=OPEN_STATES)
    if open_entries:
        entry = open_entries[0]
        _settle_entry(payment, entry.pk, _Answer(ok=True, amount=min(amount, entry.amount)))
        return "captured"
    # The payment's capture is booked once: by this path, or as a capture the kit asked for.
    # Parts the provider names (``reference`` and no key of the kit's) are other captures.
    if any(
        entry.idempotency_key
        for entry in _find(payment, kind=EntryKind.CAPTURE, state=EntryState.SUCCEEDED)
    ):
        return "duplicate: the capture is booked already"
    _book_slot(
        payment,
        "capture",
        kind=EntryKind.CAPTURE,
        state=EntryState.SUCCEEDED,
        amount=amount,
        source=source,
        event_id=event_id,
    )
    if amount < payment.amount:
        _book_slot(
            payment,
            "capture-rest",
            kind=EntryKind.VOID,
            state=EntryState.SUCCEEDED,
            amount=payment.amount - amount,
            source=source,
            event_id=event_id,
            message=_("Released by a capture of less than the amount."),
        )
    return "captured"


# --- Checkout and paying again ---------------------------------------------------------------


def checkout(
    *,
    user: Any,
    shipping_address: dict[str, Any],
    payment_method: str,
    payment_data: dict[str, Any],
    expected_total: Money | None,
    idempotency_key: str | None,
) -> tuple[Order, Payment]:
    """Turn the user's cart into an order (:func:`ecommerce_kit.orders.services.place_order`),
    record its payment in the same transaction, and pay it.

    When the payment is declined, the order is cancelled (its stock restored) and the lines go
    back into the cart. When the gateway fails, the order stays ``pending`` with its stock (payable
    with :func:`pay_order`) and the lines go back into the cart too; checking out that cart again
    cancels such an order first, so its stock is never held twice.

    :raises PaymentDeclinedError: the order was cancelled; the lines are back in the cart.
    :raises GatewayError: the order stays pending; the lines are back in the cart.
    """
    recorded: list[Payment] = []
    chosen: list[tuple[PaymentGateway, dict[str, Any]]] = []

    def record_payment(order: Order) -> None:
        # The order is new and locked by its own transaction: no other payment can exist.
        gateway, options = _resolve_gateway(payment_method, currency=order.currency)
        if not isinstance(payment_data, Mapping):
            raise InvalidInputError(fields={"payment_data": [_("Expected an object.")]})
        chosen.append((gateway, options))
        recorded.append(_new_payment(order, gateway, payment_data))

    order, cart, lines = orders.place_order(
        user=user,
        shipping_address=shipping_address,
        expected_total=expected_total,
        idempotency_key=idempotency_key,
        payment_method=payment_method,
        then=record_payment,
    )
    placed_at = order.updated_at
    (gateway, options), payment = chosen[0], recorded[0]
    try:
        payment = _run_payment(payment, gateway, options, payment_data, actor=user)
    except PaymentDeclinedError as exc:
        _cancel_after_decline(order=order, exc=exc)
        orders.give_lines_back(cart=cart, lines=lines, currency=order.currency)
        raise
    except Exception as exc:
        extra = getattr(exc, "extra", None)
        if isinstance(extra, dict):
            extra.setdefault("order", order.number)
        orders.give_lines_back(cart=cart, lines=lines, currency=order.currency, order=order)
        raise
    locked = payment.order
    if getattr(locked, "_kit_locked_version", None) != placed_at or getattr(
        locked, "_kit_called_out", True
    ):
        # Changed by something else between the two transactions (a webhook, a cancellation),
        # or by the calls the payment's answer led to.
        return _with_details(order, payment)
    # Nothing but this payment changed the order since it was placed: its lines and fulfilments
    # are as written, its payments and their ledgers as read under its lock.
    items, fulfilments = list(order.items.all()), list(order.fulfilments.all())
    for item in items:
        item.order = locked
    for fulfilment in fulfilments:
        fulfilment.order = locked
    cache_related(locked, "items", items)
    cache_related(locked, "fulfilments", fulfilments)
    payments = _order_payments(locked)
    for each in payments:
        cache_related(each, "entries", list(_rows(each)))
    cache_related(locked, "payments", payments)
    return locked, payment


def _with_details(order: Order, payment: Payment) -> tuple[Order, Payment]:
    """The order read again with what its representation shows, and its payment from it."""
    fresh = with_order_details(Order.objects.filter(pk=order.pk)).get()
    return fresh, next((p for p in fresh.payments.all() if p.pk == payment.pk), payment)


def _cancel_after_decline(*, order: Order, exc: PaymentDeclinedError) -> None:
    try:
        orders.cancel_order(
            order_id=order.pk, actor=None, note="Payment declined.", only_from=OrderStatus.PENDING
        )
    except InvalidTransitionError:
        logger.warning("Order %s was no longer pending after a declined payment", order.number)
    exc.extra.setdefault("order", order.number)


def pay_order(
    *, order_id: int, actor: Actor, payment_method: str, payment_data: dict[str, Any]
) -> tuple[Order, Payment]:
    """Start a new payment for a ``pending`` order whose previous payment failed.

    :raises InvalidTransitionError: the order is not pending.
    :raises PaymentInProgressError: a payment of the order is still under way or holds money.
    :raises UnknownPaymentMethodError: unknown gateway, or not for the order's currency.
    :raises PaymentDeclinedError: the order is cancelled and its stock restored.
    :raises GatewayError: the order stays pending.
    """
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFoundError()
    if order.status != OrderStatus.PENDING:
        raise InvalidTransitionError(status=order.status)
    try:
        payment = start_payment(
            order=order, gateway_id=payment_method, payment_data=payment_data, actor=actor
        )
    except PaymentDeclinedError as exc:
        _cancel_after_decline(order=order, exc=exc)
        raise
    return _with_details(order, payment)


# --- Capture ---------------------------------------------------------------------------------


def capture_payment(*, payment_id: int, actor: Actor, amount: Money | None = None) -> Payment:
    """Capture an ``authorized`` payment through its gateway (by default: what the order is
    still owed, up to what is authorized); what the capture does not take is released.

    :raises InvalidTransitionError: nothing is authorized, or a capture is already under way.
    :raises InvalidInputError: ``amount`` is not above zero, in the payment's currency, or is
        more than is authorized.
    :raises GatewayError: the provider refused (the authorization stays) or did not answer (the
        capture is retried with the same key).
    """

    def record(order: Order, payment: Payment) -> int:
        totals = _totals(payment)
        if totals.authorized <= 0:
            raise InvalidTransitionError(transition="capture", status=str(payment.status))
        if _find(payment, kind=EntryKind.CAPTURE, state=OPEN_STATES):
            raise InvalidTransitionError(
                _("A capture of this payment is already under way."),
                transition="capture",
                status=str(payment.status),
            )
        if amount is None:
            money = _order_money(order, _order_payments(order, [payment]))
            owed = money.due - Money(totals.captured - totals.refunded, order.currency)
            wanted = min(totals.authorized, max(owed.amount, Decimal(0)))
            if wanted <= 0:
                wanted = totals.authorized
            value = totals.money(wanted)
        else:
            valid = _valid_amount(amount, payment.currency)
            if valid is None or valid.amount > totals.authorized:
                raise InvalidInputError(
                    fields={
                        "amount": [
                            _("Capture more than zero and at most %(authorized)s.")
                            % {"authorized": totals.money(totals.authorized)}
                        ]
                    }
                )
            value = valid
        return _request(
            payment,
            EntryKind.CAPTURE,
            value,
            source=EntrySource.STAFF if _user_or_none(actor) else EntrySource.SYSTEM,
            actor=actor,
        )

    entry_id = _change(payment_id, record, actor=actor, note="capture requested")
    answers = _call_entries([entry_id], actor=actor)
    _raise_for(answers[:1])
    return Payment.objects.get(pk=payment_id)


def _raise_for(answers: list[_Answer]) -> None:
    for answer in answers:
        if answer.ok is None:
            raise GatewayError(
                _(
                    "The payment provider did not answer; the request is kept and will be sent "
                    "again with the same key."
                )
            )
        if not answer.ok:
            raise GatewayError(
                _("The payment provider refused: %(message)s") % {"message": answer.message}
            )


# --- Refunds ---------------------------------------------------------------------------------


def _locked_payments(order: Order) -> list[Payment]:
    """The (locked) order's payments, oldest first (the order's lock covers them)."""
    return list(reversed(_order_payments(order)))


def _settle_all(order: Order, payments: list[Payment], *, actor: Actor, note: str) -> list[int]:
    """Recompute each of the (locked) order's ``payments``, then the order; return the calls."""
    for payment in payments:
        _recompute(payment, actor=actor, note=note)
    return _announce(order, payments, actor=actor)


def _reserve_refunds(
    order: Order,
    payments: list[Payment],
    amount: Money | None,
    *,
    reason: str,
    actor: Actor,
    strict: bool = True,
) -> list[int]:
    """Record ``requested`` refunds of ``amount`` (default: all) across the (locked) order's
    ``payments``, oldest first, so that concurrent refunds never exceed what was captured.

    :raises RefundExceedsCapturedError: when ``strict`` and more than is refundable.
    """
    refundable = {p.pk: _totals(p).refundable for p in payments}
    available = Money(sum(refundable.values(), Decimal(0)), order.currency)
    wanted = available if amount is None else amount
    if wanted > available or wanted.amount <= 0:
        if strict:
            raise RefundExceedsCapturedError(refundable=_money_json(available))
        wanted = min(wanted, available)
        if wanted.amount <= 0:
            return []
    entries: list[int] = []
    left = wanted.amount
    for payment in payments:
        part = min(left, refundable[payment.pk])
        if part <= 0:
            continue
        entries.append(
            _request(
                payment,
                EntryKind.REFUND,
                Money(part, order.currency),
                source=EntrySource.STAFF if _user_or_none(actor) else EntrySource.SYSTEM,
                reason=reason,
                actor=actor,
            )
        )
        left -= part
        if left <= 0:
            break
    return entries


def refund_order(*, order: Order, amount: Money | None, actor: Actor) -> list[Payment]:
    """Refund ``amount`` (default: all that is refundable) of the order's captured payments.

    The refunds are recorded first (``requested``, their amount reserved) in a short transaction,
    then each gateway is called with no lock held and the refund's own key, then each is settled.
    A staff refund lowers what the order is owed.

    :returns: The payments refunded from (as saved).
    :raises InvalidInputError: ``amount`` is not positive or not in the order's currency.
    :raises RefundExceedsCapturedError: more than captured minus refunded (or nothing to refund).
    :raises GatewayError: a provider refused (that part is not refunded) or did not answer (that
        refund stays ``unknown``, its amount reserved, and is retried with the same key).
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
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        payments = _locked_payments(locked)
        entries = _reserve_refunds(locked, payments, amount, reason=RefundReason.STAFF, actor=actor)
        payment_ids = [p.pk for p in payments if any(e.pk in entries for e in _rows(p))]
        calls = _settle_all(locked, payments, actor=actor, note="refund requested")
    answers = _call_entries([*entries, *calls], actor=actor)
    _raise_for(answers[: len(entries)])
    return list(Payment.objects.filter(pk__in=payment_ids).order_by("created_at", "id"))


# --- Cancellation (the orders app announces it; payments gives the money back) ---------------


def on_fulfilments_cancelled(
    *, order: Order, amount: Money, everything: bool, refund: Money | None, actor: Actor
) -> None:
    """React, in the cancelling transaction (order locked), to cancelled goods.

    A whole cancelled order gives back everything (voids and refunds, planned from the ledger).
    Cancelled fulfilments of an order that goes on give back their share ``amount`` (or the
    ``refund`` staff chose), refunded from what was captured; authorizations then hold more than
    is owed and the surplus is released by the usual plan.
    """
    payments = _locked_payments(order)
    entries: list[int] = []
    if not everything:
        wanted = refund if refund is not None else amount
        if wanted.amount > 0:
            # The share is refunded as far as money was taken; an amount staff chose must be
            # refundable (409 refund_exceeds_captured, and the cancellation does not happen).
            entries = _reserve_refunds(
                order,
                payments,
                wanted,
                reason=RefundReason.CANCELLATION,
                actor=actor,
                strict=refund is not None,
            )
    todo = [*entries, *_settle_all(order, payments, actor=actor, note="goods cancelled")]
    if todo:
        transaction.on_commit(lambda: _call_entries(todo, actor=actor), robust=True)


def release_order_payments(*, order: Order, actor: Actor) -> None:
    """Give back the money of a cancelled order (again): void what is authorized or could still be
    paid, refund what is captured, and send the voids and refunds already recorded but not
    answered yet (with their own keys). Safe to call any number of times."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        payments = _locked_payments(locked)
        calls = _settle_all(locked, payments, actor=actor, note="release")
        open_entries = [e.pk for p in payments for e in _find(p, state=OPEN_STATES)]
    _call_entries([*open_entries, *calls], actor=actor)


# --- Webhooks --------------------------------------------------------------------------------


def _find_payment_id(gateway_id: str, event: WebhookEvent) -> tuple[int, int]:
    """The ``(payment id, order id)`` the event names."""
    queryset = Payment.objects.filter(gateway=gateway_id)
    if event.payment_id is not None and 0 < event.payment_id <= MAX_PK:
        queryset = queryset.filter(pk=event.payment_id)
    elif event.reference:
        queryset = queryset.filter(reference=event.reference)
    else:
        queryset = queryset.none()
    found = queryset.values_list("pk", "order_id").first()
    if found is None:
        raise NotFoundError(_("Unknown payment."))
    return found


def _event_data(event: WebhookEvent, payment_amount: Money) -> dict[str, Any]:
    """What an event reports, as stored on its record (to apply it again when deferred).

    :raises InvalidInputError: an amount in another currency than the payment's, not above zero,
        or above the payment's amount.
    """
    amount = event.amount
    currency = str(payment_amount.currency)
    if amount is not None:
        if not isinstance(amount, Money) or str(amount.currency) != currency:
            raise InvalidInputError(
                fields={"amount": [_("The currency differs from the payment's.")]}
            )
        if not amount.amount.is_finite() or amount.amount <= 0:
            raise InvalidInputError(fields={"amount": [_("The amount must be greater than zero.")]})
        if amount.amount > payment_amount.amount:
            raise InvalidInputError(
                fields={"amount": [_("The amount is more than the payment's amount.")]}
            )
    message = event.payload.get("message") if isinstance(event.payload, Mapping) else None
    return {
        "type": event.type,
        "amount": None if amount is None else f"{quantize(amount).amount:f}",
        "key": event.idempotency_key[:64],
        "reference": event.movement_reference[:255],
        "message": str(message or "")[:2000],
    }


def _apply_event(payment: Payment, data: Mapping[str, Any], event_id: str) -> str:
    """Book what a (first-seen) event reports in the locked payment's ledger.

    :returns: The outcome; ``"deferred: ..."`` when it cannot be applied yet.
    """
    kind = data.get("type")
    amount = (
        None if data.get("amount") is None else Money(Decimal(data["amount"]), payment.currency)
    )
    key, reference = data.get("key") or "", data.get("reference") or ""
    source = EntrySource.WEBHOOK
    if kind == WebhookEventType.PAYMENT_AUTHORIZED:
        entry = _book_slot(
            payment,
            "authorization",
            kind=EntryKind.AUTHORIZATION,
            state=EntryState.SUCCEEDED,
            amount=amount or payment.amount,
            source=source,
            event_id=event_id,
        )
        return "authorized" if entry else "duplicate: the authorization is booked already"
    if kind == WebhookEventType.PAYMENT_FAILED:
        # The provider says the payment failed: whatever it had authorized is gone.
        entry = _book_slot(
            payment,
            "provider-failure",
            kind=EntryKind.AUTHORIZATION,
            state=EntryState.FAILED,
            amount=payment.amount,
            source=source,
            event_id=event_id,
            message=data.get("message") or _("Failed at the provider."),
        )
        if entry and not payment.failure_message:
            payment.failure_message = entry.message
            payment.save(update_fields=["failure_message", "updated_at"])
        return "failed" if entry else "duplicate: the failure is booked already"
    if kind in (WebhookEventType.PAYMENT_CAPTURED, WebhookEventType.PAYMENT_VOIDED):
        entry_kind = (
            EntryKind.CAPTURE if kind == WebhookEventType.PAYMENT_CAPTURED else EntryKind.VOID
        )
        return _apply_movement(payment, entry_kind, amount, key, reference, event_id)
    if kind == WebhookEventType.PAYMENT_REFUNDED:
        return _apply_refund(payment, amount, key, reference, event_id)
    return "ignored: unknown event type"


def _settle_named(
    payment: Payment, kind: str, key: str, amount: Money | None, reference: str
) -> str | None:
    """Settle the kit's own request named by ``key``; ``None`` when the key names none."""
    if not key:
        return None
    found = _find(payment, kind=kind, idempotency_key=key)
    if not found:
        return None
    entry = found[0]
    if entry.state not in OPEN_STATES:
        return f"duplicate: {kind} {entry.pk} is settled already"
    if amount is not None and amount > entry.amount:
        amount = entry.amount
    _settle_entry(payment, entry.pk, _Answer(ok=True, reference=reference, amount=amount))
    return f"{kind} {entry.pk} settled"


def _booked(payment: Payment, kind: str, reference: str) -> bool:
    """Whether a movement the provider calls ``reference`` is booked (or under way)."""
    return any(e.state != EntryState.FAILED for e in _find(payment, kind=kind, reference=reference))


def _ours_under_way(payment: Payment, kind: str) -> bool:
    """Whether a request of the kit's of this kind awaits its answer (its reference unknown)."""
    return bool(_find(payment, kind=kind, state=OPEN_STATES, reference=""))


def _apply_movement(
    payment: Payment, kind: str, amount: Money | None, key: str, reference: str, event_id: str
) -> str:
    """A capture or a void reported by the provider."""
    named = _settle_named(payment, kind, key, amount, reference)
    if named is not None:
        return named
    if reference:
        if _booked(payment, kind, reference):
            return f"duplicate: {kind} {reference} is booked already"
        if _ours_under_way(payment, kind):
            return f"deferred: a {kind} of the kit's is under way"
        _book(
            payment,
            kind=kind,
            state=EntryState.SUCCEEDED,
            amount=amount or payment.amount,
            reference=reference,
            source=EntrySource.WEBHOOK,
            event_id=event_id,
        )
        return "captured" if kind == EntryKind.CAPTURE else "voided"
    if kind == EntryKind.CAPTURE:
        return _book_capture(
            payment, amount or payment.amount, source=EntrySource.WEBHOOK, event_id=event_id
        )
    open_voids = _find(payment, kind=EntryKind.VOID, state=OPEN_STATES)
    if open_voids:
        _settle_entry(payment, open_voids[0].pk, _Answer(ok=True))
        return "voided"
    # A void the kit asked for and that succeeded is the one reported (the provider echoes it).
    asked = (EntrySource.SYSTEM, EntrySource.STAFF, EntrySource.BUYER, EntrySource.TASK)
    if _find(payment, kind=EntryKind.VOID, state=EntryState.SUCCEEDED, source=asked):
        return "duplicate: the kit's void is booked already"
    entry = _book_slot(
        payment,
        "void",
        kind=EntryKind.VOID,
        state=EntryState.SUCCEEDED,
        amount=amount or payment.amount,
        source=EntrySource.WEBHOOK,
        event_id=event_id,
    )
    return "voided" if entry else "duplicate: the void is booked already"


def _apply_refund(
    payment: Payment, amount: Money | None, key: str, reference: str, event_id: str
) -> str:
    """A refund reported by the provider: the kit's own (named by key or reference), or one made
    at the provider (booked once by the event's id)."""
    named = _settle_named(payment, EntryKind.REFUND, key, amount, reference)
    if named is not None:
        return named
    if reference:
        if _booked(payment, EntryKind.REFUND, reference):
            return f"duplicate: refund {reference} is booked already"
        if _ours_under_way(payment, EntryKind.REFUND):
            return "deferred: a refund of the kit's is under way"
    refundable = _totals(payment).refundable
    value = amount.amount if amount is not None else refundable
    if value <= 0 or value > refundable:
        return "deferred: more than is captured and not refunded"
    entry = _book(
        payment,
        kind=EntryKind.REFUND,
        state=EntryState.SUCCEEDED,
        amount=Money(value, payment.currency),
        reference=reference,
        source=EntrySource.WEBHOOK,
        event_id=event_id,
        reason=RefundReason.PROVIDER,
    )
    plugins.notify_refund_succeeded(payment=payment, entry=entry)
    return "refunded"


def _apply_deferred(payment: Payment) -> bool:
    """Apply the first deferred event of the (locked) payment that can be applied now."""
    if not payment.deferred_events:
        return False
    for record in WebhookEventRecord.objects.filter(
        payment=payment, state=WebhookEventRecord.State.DEFERRED
    ).order_by("received_at", "id"):
        outcome = _apply_event(payment, record.data, record.event_id)
        if outcome.startswith("deferred"):
            continue
        record.state = WebhookEventRecord.State.APPLIED
        record.outcome = f"{outcome} (after being deferred)"[:255]
        record.save(update_fields=["state", "outcome"])
        payment.deferred_events = max(payment.deferred_events - 1, 0)
        payment.save(update_fields=["deferred_events", "updated_at"])
        return True
    return False


def handle_webhook(*, gateway_id: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify, deduplicate and apply a webhook request from ``gateway_id``.

    The gateway checks the signature over the raw body before anything is read. A unique
    (gateway, event id) row is written in the same transaction as the change, so repeated or racing
    deliveries change nothing. An event that cannot be applied yet (a refund reported before its
    capture) is kept and applied when the payment's ledger next changes.

    :returns: What happened: ``"captured"``, ``"refunded"``, ``"duplicate"``, ``"deferred: ..."``.
    :raises GatewayNotFoundError: unknown or unconfigured gateway (404).
    :raises InvalidSignatureError: missing or wrong signature (400); nothing changed.
    :raises InvalidInputError: an authentic body that cannot be understood, or an amount in another
        currency or not above zero (400); nothing changed.
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
    if contains_null_character(
        [
            event.event_id,
            event.type,
            event.reference,
            event.idempotency_key,
            event.movement_reference,
            event.payload,
        ]
    ):
        raise InvalidInputError(fields={"body": [str(NULL_CHARACTERS_MESSAGE)]})
    if WebhookEventRecord.objects.filter(
        gateway=gateway.id, event_id=event.event_id[:255]
    ).exists():
        return "duplicate"  # checked again under the lock below, for racing deliveries
    payment_id, order_id = _find_payment_id(gateway.id, event)
    outcome = ""

    def apply(order: Order, payment: Payment) -> None:
        nonlocal outcome
        data = _event_data(event, payment.amount)
        try:
            with transaction.atomic():
                record = WebhookEventRecord.objects.create(
                    gateway=gateway.id,
                    event_id=event.event_id[:255],
                    event_type=event.type[:100],
                    payment=payment,
                    payload=redact(dict(event.payload)),
                    data=data,
                )
        except IntegrityError:
            outcome = "duplicate"
            return
        outcome = _apply_event(payment, data, record.event_id)
        if outcome.startswith("deferred"):
            record.state = WebhookEventRecord.State.DEFERRED
            payment.deferred_events += 1
            payment.save(update_fields=["deferred_events", "updated_at"])
        elif outcome.startswith(("ignored", "duplicate")):
            record.state = WebhookEventRecord.State.IGNORED
        record.outcome = outcome[:255]
        record.save(update_fields=["state", "outcome"])

    _change(
        payment_id, apply, actor=None, note=f"webhook {event.event_id}"[:500], order_id=order_id
    )
    return outcome


# --- Tasks and checks ------------------------------------------------------------------------


def retry_open_entries(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Call the provider again for entries left ``requested`` or ``unknown``, with their own key.

    An entry stays open when the provider did not answer (``unknown``) or the process stopped
    between recording and settling it (``requested``). The call is repeated with the same key, so
    a movement that did go through is not made twice; a refusal releases the reserved amount.
    Also gives back what cancelled orders still hold (a void or refund planned but never sent).

    :param older_than: Only entries at least this old (calls under way are left alone).
    :returns: How many entries were called for.
    """
    cutoff = timezone.now() - older_than
    entry_ids = list(
        LedgerEntry.objects.filter(state__in=OPEN_STATES, updated_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    _call_entries(entry_ids, actor=None)
    return len(entry_ids)


def resync_payment(payment_id: int) -> Payment:
    """Recompute a payment and its order from the ledger (and make the calls that follow)."""
    return _change(payment_id, lambda order, payment: payment, actor=None, note="recomputed")


@dataclass(frozen=True)
class Drift:
    """A stored value that differs from what the ledger says (``subject``: ``"payment 12"`` or
    ``"order EK-7Q2M-9X4C"``)."""

    subject: str
    field: str
    stored: str
    ledger: str


def _text(value: Any) -> str:
    if isinstance(value, Money):
        return f"{quantize(value).amount:f} {value.currency}"
    return str(value)


def recompute_payments(*, repair: bool) -> list[Drift]:
    """Compare every payment's stored totals and status, and every order's money, with what the
    ledger says; with ``repair``, write what the ledger says.

    :returns: The differences found (before repair).
    """
    drifts: list[Drift] = []
    for payment in Payment.objects.order_by("id").iterator():
        totals = _totals(payment)
        expected = {**_derived(totals), "status": totals.status}
        drifts += [
            Drift(f"payment {payment.pk}", name, _text(getattr(payment, name)), _text(value))
            for name, value in expected.items()
            if getattr(payment, name) != value
        ]
    order_ids = Order.objects.filter(payments__isnull=False).values_list("pk", flat=True).distinct()
    for order in Order.objects.filter(pk__in=list(order_ids)).order_by("id"):
        money = _order_money(order, list(Payment.objects.filter(order=order)))
        expected = {
            "charged": money.charged,
            "refunded": money.refunded,
            "held": money.held,
            "credited": money.credited,
            "charge_status": money.charge_status,
            "authorize_status": money.authorize_status,
        }
        drifts += [
            Drift(f"order {order.number}", name, _text(getattr(order, name)), _text(value))
            for name, value in expected.items()
            if getattr(order, name) != value
        ]
    if repair and drifts:
        for order_id in order_ids:
            with transaction.atomic():
                order = Order.objects.select_for_update().get(pk=order_id)
                calls = _settle_all(order, _locked_payments(order), actor=None, note="recomputed")
            _call_entries(calls, actor=None)
    return drifts
