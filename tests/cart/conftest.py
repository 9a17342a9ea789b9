from __future__ import annotations

from decimal import Decimal

import pytest
from moneyed import Money

from ecommerce_kit.cart import services
from tests.factories import ProductFactory


@pytest.fixture
def product(db):  # noqa: ANN001, ANN201
    """A standalone product: 1000.00 AOA, 10 in stock."""
    return ProductFactory(price=Money(Decimal("1000.00"), "AOA"), stock_quantity=10)


@pytest.fixture
def usd_product(db):  # noqa: ANN001, ANN201
    return ProductFactory(price=Money(Decimal("12.50"), "USD"), stock_quantity=10)


@pytest.fixture
def cart(db):  # noqa: ANN001, ANN201
    """An empty anonymous cart."""
    return services.create_anonymous_cart()


CART_URL = "/api/v1/cart/"
ITEMS_URL = "/api/v1/cart/items/"
MERGE_URL = "/api/v1/cart/merge/"


def item_url(item_id: int) -> str:
    return f"/api/v1/cart/items/{item_id}/"
