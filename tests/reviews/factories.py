"""Orders for review tests, made with the ORM (statuses are protected, so set with ``update``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from moneyed import Money

from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.reviews.models import Review
from tests.factories import ProductFactory, UserFactory

_FULFILMENT_STATUS = {
    OrderStatus.PENDING: FulfilmentStatus.PENDING,
    OrderStatus.CONFIRMED: FulfilmentStatus.PENDING,
    OrderStatus.PROCESSING: FulfilmentStatus.PROCESSING,
    OrderStatus.SHIPPED: FulfilmentStatus.SHIPPED,
    OrderStatus.DELIVERED: FulfilmentStatus.DELIVERED,
    OrderStatus.CANCELLED: FulfilmentStatus.CANCELLED,
}


def make_order(
    buyer: Any, products: Iterable[Product], status: str = OrderStatus.DELIVERED
) -> Order:
    """Create an order of ``buyer`` with one unit of each of ``products``, in ``status``."""
    products = list(products)
    currency = str(products[0].price_currency)
    subtotal = sum((p.price.amount for p in products), start=Money(0, currency).amount)
    order = Order.objects.create(
        number=f"EK-{uuid.uuid4().hex[:12].upper()}",
        buyer=buyer,
        currency=currency,
        subtotal=Money(subtotal, currency),
        shipping=Money(0, currency),
        tax=Money(0, currency),
        total=Money(subtotal, currency),
    )
    fulfilments: dict[int, Fulfilment] = {}
    for product in products:
        if product.store_id not in fulfilments:
            fulfilments[product.store_id] = Fulfilment.objects.create(
                order=order, store_id=product.store_id
            )
        OrderItem.objects.create(
            order=order,
            product=product,
            store_id=product.store_id,
            fulfilment=fulfilments[product.store_id],
            product_name=product.name,
            unit_price=product.price,
            quantity=1,
            line_total=product.price,
        )
    Order.objects.filter(pk=order.pk).update(status=status)
    Fulfilment.objects.filter(order=order).update(status=_FULFILMENT_STATUS[OrderStatus(status)])
    order.refresh_from_db()
    return order


def make_buyer(*products: Product, **user_fields: Any) -> Any:
    """Create a user with a delivered order of ``products``."""
    user = UserFactory(**user_fields)
    make_order(user, products)
    return user


def make_review(
    product: Product | None = None, user: Any = None, rating: int = 4, **fields: Any
) -> Review:
    """Create a review through the service (so the rating counts it), buying first if needed."""
    from ecommerce_kit.reviews.services import create_review

    product = product or ProductFactory()
    user = user or make_buyer(product)
    is_public = fields.pop("is_public", True)
    review = create_review(user=user, product_id=product.pk, rating=rating, **fields)
    if not is_public:
        from ecommerce_kit.reviews.services import set_review_visibility

        set_review_visibility(review_ids=[review.pk], is_public=False)
        review.refresh_from_db()
    return review
