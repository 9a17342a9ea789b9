"""Plain helpers that create the rows a payment needs, for plugin authors' tests.

They use the models directly (no factory library), so a gateway distribution can use them with
nothing but pytest-django installed.
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from moneyed import Money

__all__ = ["create_order"]

_sequence = itertools.count(1)


def create_order(
    *, total: Decimal | str = "1000.00", currency: str = "AOA", buyer: Any = None
) -> Any:
    """Create a ``pending`` order of one line for ``total`` in ``currency`` (with its store).

    :param buyer: The buying user; a new one by default.
    :returns: The :class:`~ecommerce_kit.orders.models.Order`.
    """
    from ecommerce_kit.catalog.models import Category, Product, Store
    from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem

    n = f"{next(_sequence)}-{uuid.uuid4().hex[:8]}"
    amount = Money(Decimal(str(total)), currency)
    user_model = get_user_model()
    buyer = buyer or user_model.objects.create_user(
        username=f"buyer-{n}", password=uuid.uuid4().hex
    )
    seller = user_model.objects.create_user(username=f"seller-{n}", password=uuid.uuid4().hex)
    store = Store.objects.create(
        owner=seller, name=f"Store {n}", slug=f"store-{n}", is_approved=True
    )
    category = Category.objects.create(name=f"Category {n}", slug=f"category-{n}")
    product = Product.objects.create(
        store=store,
        category=category,
        name=f"Product {n}",
        slug=f"product-{n}",
        price=amount,  # type: ignore[misc]
        stock_quantity=10,
    )
    order = Order.objects.create(
        number=f"EK-CONTRACT-{n}".upper(),
        buyer=buyer,
        currency=currency,
        subtotal=amount,
        shipping=Money(0, currency),
        tax=Money(0, currency),
        total=amount,
        shipping_address={
            "full_name": "Buyer",
            "line1": "Rua 1",
            "city": "Luanda",
            "country": "AO",
        },
    )
    fulfilment = Fulfilment.objects.create(order=order, store=store)
    OrderItem.objects.create(
        order=order,
        product=product,
        store=store,
        fulfilment=fulfilment,
        product_name=product.name,
        unit_price=amount,
        quantity=1,
        line_total=amount,
    )
    return order
