from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from ecommerce_kit.catalog.models import Category, ProductRating, Store
from ecommerce_kit.catalog.search import get_search_features
from tests.catalog.helpers import product_url, products_url
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def search_features_known(db: Any) -> None:
    """The first search of a process asks PostgreSQL once what it offers; that is not per page."""
    get_search_features()


@pytest.fixture
def catalog() -> list[int]:
    """60 groups with 3 variants each, 60 standalone products, over 3 stores and categories."""
    stores: list[Store] = [StoreFactory() for _ in range(3)]
    root = CategoryFactory(slug="root")
    categories: list[Category] = [CategoryFactory(parent=root) for _ in range(3)]
    ids = []
    for n in range(60):
        group = ProductFactory(store=stores[n % 3], category=categories[n % 3])
        for size in ("S", "M", "L"):
            VariantFactory(
                parent=group, attributes={"size": size}, price=Money(Decimal(100 + n), "AOA")
            )
        standalone = ProductFactory(store=stores[n % 3], category=categories[n % 3])
        ProductRating.objects.create(product=standalone, count=1, total=4, average=4, count_4=1)
        ids += [group.pk, standalone.pk]
    return ids


def _count_queries(client: Any, url: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "price"},
        {"ordering": "-rating"},
        {"in_stock": "true", "min_price": "120", "currency": "AOA", "search": "Product"},
    ],
)
def test_product_list_queries_do_not_grow_with_the_page(
    api_client: Any, catalog: list[int], params: dict[str, Any]
) -> None:
    small, body_small = _count_queries(api_client, products_url(), {**params, "page_size": 1})
    large, body_large = _count_queries(api_client, products_url(), {**params, "page_size": 100})
    assert len(body_small["results"]) == 1
    assert len(body_large["results"]) > 50
    assert any(p["variants"] for p in body_large["results"])
    assert small == large
    # count, page, variants; a search asks the database once per process what it offers
    assert large <= 3


def test_product_list_budget_is_three_queries(
    api_client: Any, catalog: list[int], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        response = api_client.get(products_url(), {"page_size": 100})
    assert len(response.json()["results"]) == 100


def test_product_list_with_category_and_store_filters_stays_small(
    api_client: Any,
    catalog: list[int],
) -> None:
    store = Store.objects.first()
    assert store is not None
    small, _ = _count_queries(
        api_client, products_url(), {"category": "root", "store": store.slug, "page_size": 1}
    )
    large, body = _count_queries(
        api_client, products_url(), {"category": "root", "store": store.slug, "page_size": 100}
    )
    assert body["count"] == 40
    assert small == large <= 6  # + one query for the category tree, one for the store


def test_product_detail_budget(
    api_client: Any, catalog: list[int], django_assert_max_num_queries: Any
) -> None:
    group_id = catalog[0]
    with django_assert_max_num_queries(2):
        response = api_client.get(product_url(group_id))
    assert len(response.json()["variants"]) == 3
