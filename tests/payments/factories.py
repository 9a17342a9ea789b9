"""Orders and payments built directly with the models, for the payments tests."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from moneyed import Money

from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.payments.models import LedgerEntry, Payment
from ecommerce_kit.payments.states import (
    EntryKind,
    EntrySource,
    EntryState,
    PaymentStatus,
    RefundReason,
)
from tests.factories import ProductFactory, UserFactory

_numbers = itertools.count(1)


def make_order(
    *,
    buyer: Any = None,
    total: str = "1000.00",
    currency: str = "AOA",
    status: str = "pending",
    quantity: int = 1,
) -> Order:
    """Create an order of one line (``total`` in ``currency``) with its fulfilment."""
    buyer = buyer or UserFactory()
    amount = Money(Decimal(total), currency)
    product = ProductFactory(price=Money(Decimal(total) / quantity, currency))
    order = Order.objects.create(
        number=f"EK-TEST-{next(_numbers):04d}",
        buyer=buyer,
        currency=currency,
        subtotal=amount,
        shipping=Money(0, currency),
        tax=Money(0, currency),
        total=amount,
        shipping_address={"full_name": "Ana", "line1": "Rua 1", "city": "Luanda", "country": "AO"},
    )
    if status != "pending":
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
    fulfilment = Fulfilment.objects.create(order=order, store=product.store)
    OrderItem.objects.create(
        order=order,
        product=product,
        store=product.store,
        fulfilment=fulfilment,
        product_name=product.name,
        unit_price=Money(Decimal(total) / quantity, currency),
        quantity=quantity,
        line_total=amount,
    )
    return order


def make_payment(
    *,
    order: Order | None = None,
    gateway: str = "dummy",
    status: str = PaymentStatus.CAPTURED,
    captured: str | None = None,
    refunded: str = "0",
    reference: str = "",
) -> Payment:
    """Create a payment of ``order``'s total in ``status`` (captured in full by default).

    The payment's ledger gets the entries that status means (an authorization, a capture, a
    refund, a void or a failure), and the payment and its order are recomputed from it, as the
    services would: a captured payment covering the order confirms a pending order.
    """
    from ecommerce_kit.payments.services import resync_payment

    order = order or make_order()
    currency = order.currency
    money = lambda value: Money(Decimal(value), currency)  # noqa: E731
    if captured is None:
        captured = (
            str(order.total.amount)
            if status
            in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
            else "0"
        )
    payment = Payment.objects.create(
        order=order,
        gateway=gateway,
        currency=currency,
        amount=order.total,
        reference=reference,
    )

    def entry(kind: str, amount: Any, state: str = EntryState.SUCCEEDED, **extra: Any) -> None:
        LedgerEntry.objects.create(
            payment=payment,
            kind=kind,
            state=state,
            currency=currency,
            amount=amount,
            source=EntrySource.GATEWAY,
            idempotency_key=f"{payment.idempotency_key}:{kind}:{state}",
            **extra,
        )

    if status in (PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED):
        entry(EntryKind.AUTHORIZATION, payment.amount)
    if status == PaymentStatus.VOIDED:
        entry(EntryKind.VOID, payment.amount)
    if status == PaymentStatus.FAILED:
        entry(EntryKind.CAPTURE, payment.amount, EntryState.FAILED)
    if Decimal(captured) > 0:
        entry(EntryKind.CAPTURE, money(captured))
    if Decimal(refunded) > 0:
        entry(EntryKind.REFUND, money(refunded), reason=RefundReason.PROVIDER)
    resync_payment(payment.pk)
    payment.refresh_from_db()
    return payment
