"""What a payment and an order hold, derived from the ledger.

Every amount here is a function of the *set* of ledger entries, never of the order in which they
were written: that is what makes provider events converge whatever order they arrive in.

For one payment (entries in ``succeeded`` state unless said otherwise):

- ``captured`` = captures; ``refunded`` = refunds; ``refund_pending`` = refunds still open
  (``requested`` or ``unknown``: their amount is reserved);
- ``voided`` = voids; ``authorized`` = authorizations − captures − voids − failed
  authorizations (an authorization that failed or expired at the provider), never below zero;
- ``held`` = captured − refunded − refund_pending + (authorized − open voids).

The status follows: ``refunded`` / ``partially_refunded`` / ``captured`` when anything was
captured, else ``authorized`` when something is authorized, else ``voided`` when a void succeeded,
else ``failed`` when a failure was booked, else ``pending``.

For an order: ``held`` is the sum of its payments'; ``credited`` is the staff refunds (open or
succeeded); ``due`` = total − the value of its cancelled goods − credited. The order is *covered*
when held ≥ due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from moneyed import Money

from ecommerce_kit.orders.states import AuthorizeStatus, ChargeStatus
from ecommerce_kit.payments.states import (
    OPEN_STATES,
    EntryKind,
    EntryState,
    PaymentStatus,
    RefundReason,
)

__all__ = ["OrderMoney", "PaymentTotals", "order_money", "payment_totals"]

#: Refund reasons that lower what an order is owed (a cancellation lowers it through the order's
#: ``cancelled_amount`` instead, whatever was refunded for it).
CREDIT_REASONS = (RefundReason.STAFF,)


@dataclass(frozen=True)
class PaymentTotals:
    """A payment's amounts and status, as its ledger says."""

    currency: str
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    refund_pending: Decimal
    voided: Decimal
    credited: Decimal
    failed: bool
    void_pending: Decimal = Decimal(0)

    @property
    def held(self) -> Decimal:
        """Charged net of refunds (pending ones too), plus what is authorized and not being
        voided."""
        authorized = max(self.authorized - self.void_pending, Decimal(0))
        return self.captured - self.refunded - self.refund_pending + authorized

    @property
    def refundable(self) -> Decimal:
        """What may still be refunded: captured, less refunds made or under way."""
        return max(self.captured - self.refunded - self.refund_pending, Decimal(0))

    @property
    def status(self) -> str:
        if self.captured > 0:
            if self.refunded >= self.captured:
                return PaymentStatus.REFUNDED
            if self.refunded > 0:
                return PaymentStatus.PARTIALLY_REFUNDED
            return PaymentStatus.CAPTURED
        if self.authorized > 0:
            return PaymentStatus.AUTHORIZED
        if self.voided > 0:
            return PaymentStatus.VOIDED
        if self.failed:
            return PaymentStatus.FAILED
        return PaymentStatus.PENDING

    def money(self, value: Decimal) -> Money:
        return Money(value, self.currency)


def payment_totals(entries: Iterable[object], currency: str) -> PaymentTotals:
    """Sum a payment's ``entries`` (LedgerEntry rows, or anything with ``kind``, ``state``,
    ``amount`` and ``reason``)."""
    sums: dict[tuple[str, str], Decimal] = {}
    credited = Decimal(0)
    for entry in entries:
        kind, state = str(entry.kind), str(entry.state)  # type: ignore[attr-defined]
        amount = entry.amount.amount  # type: ignore[attr-defined]
        bucket = "open" if state in OPEN_STATES else state
        sums[(kind, bucket)] = sums.get((kind, bucket), Decimal(0)) + amount
        if (
            kind == EntryKind.REFUND
            and state != EntryState.FAILED
            and entry.reason in CREDIT_REASONS  # type: ignore[attr-defined]
        ):
            credited += amount

    def get(kind: str, bucket: str) -> Decimal:
        return sums.get((kind, bucket), Decimal(0))

    ok = EntryState.SUCCEEDED
    captured = get(EntryKind.CAPTURE, ok)
    voided = get(EntryKind.VOID, ok)
    failed_authorizations = get(EntryKind.AUTHORIZATION, EntryState.FAILED)
    authorized = get(EntryKind.AUTHORIZATION, ok) - captured - voided - failed_authorizations
    return PaymentTotals(
        currency=currency,
        authorized=max(authorized, Decimal(0)),
        captured=captured,
        refunded=get(EntryKind.REFUND, ok),
        refund_pending=get(EntryKind.REFUND, "open"),
        voided=voided,
        credited=credited,
        failed=failed_authorizations > 0 or get(EntryKind.CAPTURE, EntryState.FAILED) > 0,
        void_pending=get(EntryKind.VOID, "open"),
    )


@dataclass(frozen=True)
class OrderMoney:
    """What an order holds across its payments; passed to the ``order_money_changed`` hook."""

    currency: str
    total: Money
    cancelled: Money
    charged: Money
    refunded: Money
    authorized: Money
    held: Money
    credited: Money
    refund_pending: Money

    @property
    def due(self) -> Money:
        """What the order is owed: its total less its cancelled goods and staff refunds."""
        due = self.total - self.cancelled - self.credited
        return due if due.amount > 0 else Money(0, self.currency)

    @property
    def covered(self) -> bool:
        return bool(self.held >= self.due)

    @property
    def surplus(self) -> Money:
        """What is held beyond what is owed (paid twice, or too much)."""
        extra = self.held - self.due
        return extra if extra.amount > 0 else Money(0, self.currency)

    @property
    def charge_status(self) -> str:
        # Refunds under way count as given back, as they count against what is owed.
        net = self.charged - self.refunded - self.refund_pending
        if net.amount <= 0:
            return ChargeStatus.NONE
        if net < self.due:
            return ChargeStatus.PARTIAL
        if net == self.due:
            return ChargeStatus.FULL
        return ChargeStatus.OVERCHARGED

    @property
    def authorize_status(self) -> str:
        if self.held.amount <= 0:
            return AuthorizeStatus.NONE
        if self.held < self.due:
            return AuthorizeStatus.PARTIAL
        return AuthorizeStatus.FULL


def order_money(*, total: Money, cancelled: Money, payments: Iterable[PaymentTotals]) -> OrderMoney:
    """Add up an order's payments (all in the order's currency)."""
    currency = str(total.currency)
    charged = refunded = authorized = held = credited = pending = Decimal(0)
    for totals in payments:
        charged += totals.captured
        refunded += totals.refunded
        authorized += totals.authorized
        held += max(totals.held, Decimal(0))
        credited += totals.credited
        pending += totals.refund_pending
    credited = min(credited, total.amount)
    return OrderMoney(
        currency=currency,
        total=total,
        cancelled=cancelled,
        charged=Money(charged, currency),
        refunded=Money(refunded, currency),
        authorized=Money(authorized, currency),
        held=Money(held, currency),
        credited=Money(credited, currency),
        refund_pending=Money(pending, currency),
    )
