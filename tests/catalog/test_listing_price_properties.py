"""Property: the product list filtered by price and ordered by price answers exactly what a
pure-Python reference computes from the rows.

Each example builds a random catalog of standalone products and groups with active and inactive
variants at random (often equal) prices through the services and ``Product.save()``, changes
some prices and deactivates some products through the services, then asks ``GET products/`` for
every combination of ``min_price`` / ``max_price`` (each absent or one of a few amounts) and
``ordering=price`` / ``-price``. The reference reads only ``price``, ``parent`` and ``is_active``
of the rows, never the stored listing prices, so it checks both that they are kept exact and
that :func:`~ecommerce_kit.catalog.filters.listing_price_bounds` only ever removes products
that cannot match.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moneyed import Money

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Category, Product, Store
from tests.catalog.helpers import products_url
from tests.factories import CategoryFactory, StoreFactory

pytestmark = pytest.mark.django_db

PRICES = st.integers(1, 12)  # hundreds of kwanzas: few values, so many ties
BOUNDS = [None, Decimal(300), Decimal(700), Decimal("1100.5")]

_variant = st.tuples(PRICES, st.booleans())  # (price, active)
_product = st.tuples(PRICES, st.lists(_variant, max_size=3))  # (own price, variants)
_change = st.one_of(
    st.tuples(st.just("price"), st.integers(0, 30), PRICES),
    st.tuples(st.just("delete"), st.integers(0, 30)),
)


@pytest.fixture
def world(db: Any) -> tuple[Store, Category]:
    return StoreFactory(), CategoryFactory()


def _money(hundreds: int) -> Money:
    return Money(Decimal(hundreds * 100), "AOA")


def _build(
    store: Store,
    category: Category,
    catalog: list[tuple[int, list[tuple[int, bool]]]],
    changes: list[tuple[Any, ...]],
) -> None:
    seller = store.owner
    created: list[Product] = []
    for n, (own, variants) in enumerate(catalog):
        product = services.create_product(
            seller=seller, name=f"P{n}", price=_money(own), category=category
        )
        created.append(product)
        for m, (price, active) in enumerate(variants):
            variant = services.create_product(
                seller=seller, name=f"P{n} V{m}", price=_money(price), parent=product
            )
            created.append(variant)
            if not active:
                services.soft_delete_product(product=variant, actor=seller)
    for change in changes:
        target = Product.objects.get(pk=created[change[1] % len(created)].pk)
        if change[0] == "price":
            services.update_product(product=target, actor=seller, price=_money(change[2]))
        else:
            services.soft_delete_product(product=target, actor=seller)


def _reference(min_price: Decimal | None, max_price: Decimal | None, descending: bool) -> list[int]:
    rows = list(Product.objects.values("pk", "parent_id", "price", "is_active"))
    variants: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["parent_id"] is not None:
            variants.setdefault(row["parent_id"], []).append(row)

    def in_range(price: Decimal) -> bool:
        return (min_price is None or price >= min_price) and (
            max_price is None or price <= max_price
        )

    def matches(row: dict[str, Any]) -> bool:
        if min_price is None and max_price is None:
            return True
        own_variants = variants.get(row["pk"])
        if own_variants:  # a group: through one active variant
            return any(v["is_active"] and in_range(v["price"]) for v in own_variants)
        return in_range(row["price"])

    def sort_price(row: dict[str, Any]) -> Decimal:
        active = [v["price"] for v in variants.get(row["pk"], []) if v["is_active"]]
        return min(active) if active else row["price"]

    listed = [r for r in rows if r["is_active"] and r["parent_id"] is None and matches(r)]
    sign = -1 if descending else 1
    listed.sort(key=lambda r: (sign * sort_price(r), -r["pk"]))
    return [r["pk"] for r in listed]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    catalog=st.lists(_product, min_size=1, max_size=7),
    changes=st.lists(_change, max_size=6),
)
def test_price_filters_and_ordering_match_the_reference(
    api_client: Any,
    world: tuple[Store, Category],
    catalog: list[tuple[int, list[tuple[int, bool]]]],
    changes: list[tuple[Any, ...]],
) -> None:
    with transaction.atomic():  # each example starts from the same empty catalog
        _build(*world, catalog, changes)
        for min_price, max_price in itertools.product(BOUNDS, BOUNDS):
            if min_price is not None and max_price is not None and min_price > max_price:
                continue
            for ordering in ("price", "-price"):
                params: dict[str, Any] = {"ordering": ordering, "page_size": 100}
                if min_price is not None:
                    params["min_price"] = str(min_price)
                if max_price is not None:
                    params["max_price"] = str(max_price)
                response = api_client.get(products_url(), params)
                assert response.status_code == 200, response.json()
                got = [p["id"] for p in response.json()["results"]]
                expected = _reference(min_price, max_price, ordering == "-price")
                assert got == expected, params
        transaction.set_rollback(True)
