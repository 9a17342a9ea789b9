"""Orders and payments built directly with the models, for the payments tests."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from moneyed import Money

from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.payments.states import PaymentStatus
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
    """Create a payment of ``order``'s total in ``status`` (captured in full by default)."""
    order = order or make_order()
    currency = order.currency
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
        captured=Money(Decimal(captured), currency),
        refunded=Money(Decimal(refunded), currency),
        reference=reference,
    )
    if status != PaymentStatus.PENDING:
        Payment.objects.filter(pk=payment.pk).update(status=status)
        payment.refresh_from_db()
    return payment
