"""Carts, addresses and orders for the orders tests, built with the ORM."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F
from moneyed import Money

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.numbers import new_order_number
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import UserFactory

ADDRESS: dict[str, str] = {
    "full_name": "Ana Silva",
    "line1": "Rua Direita 12",
    "city": "Luanda",
    "country": "AO",
}


def make_cart(user: Any, lines: Iterable[tuple[Product, int]]) -> Cart:
    """Give ``user`` a cart holding ``lines`` (product, quantity), replacing any earlier cart."""
    Cart.objects.filter(user=user).delete()
    lines = list(lines)
    currency = str(lines[0][0].price.currency) if lines else ""
    cart = Cart.objects.create(user=user, currency=currency)
    for product, quantity in lines:
        CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    return cart


def checkout_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "shipping_address": dict(ADDRESS),
        "payment_method": "dummy",
        "payment_data": {"token": "tok_success"},
    }
    body.update(overrides)
    return body


#: Statuses that mean the order's total is held.
PAID_STATUSES = (
    OrderStatus.CONFIRMED,
    OrderStatus.PROCESSING,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)


def make_order(
    *,
    buyer: Any = None,
    lines: Iterable[tuple[Product, int]],
    status: str = OrderStatus.PENDING,
    fulfilment_status: str | None = None,
    reserve: bool = True,
) -> Order:
    """Create an order of ``lines`` with one fulfilment per store, as checkout would.

    ``reserve`` takes the quantities off stock, as checkout does. ``status`` and
    ``fulfilment_status`` are written straight to the database (bypassing the state machine) to
    start a test from any point of the lifecycle.
    """
    buyer = buyer or UserFactory()
    lines = list(lines)
    currency = str(lines[0][0].price.currency)
    subtotal = sum(
        (product.price * quantity for product, quantity in lines), Money(Decimal(0), currency)
    )
    order = Order.objects.create(
        number=new_order_number(),
        buyer=buyer,
        currency=currency,
        subtotal=subtotal,
        shipping=Money(0, currency),
        tax=Money(0, currency),
        total=subtotal,
        shipping_address=dict(ADDRESS),
    )
    fulfilments: dict[int, Fulfilment] = {}
    for product, quantity in lines:
        fulfilment = fulfilments.get(product.store_id)
        if fulfilment is None:
            fulfilment = Fulfilment.objects.create(order=order, store_id=product.store_id)
            fulfilments[product.store_id] = fulfilment
        OrderItem.objects.create(
            order=order,
            product=product,
            store_id=product.store_id,
            fulfilment=fulfilment,
            product_name=product.name,
            unit_price=product.price,
            quantity=quantity,
            line_total=product.price * quantity,
        )
        if reserve:
            Product.objects.filter(pk=product.pk).update(
                stock_quantity=F("stock_quantity") - quantity
            )
    if status != OrderStatus.PENDING:
        Order.objects.filter(pk=order.pk).update(status=status)
    if status in PAID_STATUSES:
        # As if a payment had captured the total (its ledger is not written here).
        Order.objects.filter(pk=order.pk).update(
            charged=subtotal, held=subtotal, charge_status="full", authorize_status="full"
        )
    if fulfilment_status is None:
        fulfilment_status = {
            OrderStatus.PROCESSING: FulfilmentStatus.PROCESSING,
            OrderStatus.SHIPPED: FulfilmentStatus.SHIPPED,
            OrderStatus.DELIVERED: FulfilmentStatus.DELIVERED,
            OrderStatus.CANCELLED: FulfilmentStatus.CANCELLED,
        }.get(status, FulfilmentStatus.PENDING)
    if fulfilment_status != FulfilmentStatus.PENDING:
        Fulfilment.objects.filter(order=order).update(status=fulfilment_status)
    order.refresh_from_db()
    return order
