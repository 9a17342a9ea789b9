from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


@pytest.fixture
def products() -> list[int]:
    return [ProductFactory().pk for _ in range(25)]


def test_default_page_size_is_20(api_client: Any, products: list[int]) -> None:
    body = api_client.get(URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 25 and len(body["results"]) == 20
    assert body["previous"] is None
    assert body["next"].endswith("/api/v1/products/?page=2")


def test_second_page_has_the_rest_and_links_back(api_client: Any, products: list[int]) -> None:
    body = api_client.get(URL, {"page": 2}).json()
    assert len(body["results"]) == 5 and body["next"] is None
    assert body["previous"].endswith("/api/v1/products/")
    first = [p["id"] for p in api_client.get(URL).json()["results"]]
    assert set(first).isdisjoint(p["id"] for p in body["results"])
    assert set(first) | {p["id"] for p in body["results"]} == set(products)


def test_page_size_is_kept_in_the_links(api_client: Any, products: list[int]) -> None:
    body = api_client.get(URL, {"page_size": 10, "page": 2}).json()
    assert len(body["results"]) == 10
    assert "page_size=10" in body["next"] and "page=3" in body["next"]
    assert "page_size=10" in body["previous"]


def test_page_size_up_to_100(api_client: Any, products: list[int]) -> None:
    assert len(api_client.get(URL, {"page_size": 100}).json()["results"]) == 25
    assert len(api_client.get(URL, {"page_size": 1}).json()["results"]) == 1


def test_filters_are_kept_in_the_links(api_client: Any, products: list[int]) -> None:
    body = api_client.get(URL, {"page_size": 5, "ordering": "name", "in_stock": "true"}).json()
    assert "ordering=name" in body["next"] and "in_stock=true" in body["next"]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "101", "1.5", "1e2"])
def test_bad_page_size_is_400(api_client: Any, products: list[int], value: str) -> None:
    response = api_client.get(URL, {"page_size": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "page_size" in body["fields"]


@pytest.mark.parametrize("value", ["3", "99", "0", "-1", "abc"])
def test_page_beyond_the_end_or_malformed_is_404(
    api_client: Any, products: list[int], value: str
) -> None:
    response = api_client.get(URL, {"page": value})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_page_last_is_accepted(api_client: Any, products: list[int]) -> None:
    assert len(api_client.get(URL, {"page": "last"}).json()["results"]) == 5


def test_empty_list_has_one_empty_page(api_client: Any, db: Any) -> None:
    body = api_client.get(URL).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert api_client.get(URL, {"page": 1}).status_code == 200
    assert api_client.get(URL, {"page": 2}).status_code == 404


@override_settings(ECOMMERCE_KIT={"PAGE_SIZE": 5, "MAX_PAGE_SIZE": 10})
def test_page_size_settings_are_read_per_request(api_client: Any, products: list[int]) -> None:
    assert len(api_client.get(URL).json()["results"]) == 5
    assert api_client.get(URL, {"page_size": 10}).status_code == 200
    response = api_client.get(URL, {"page_size": 11})
    assert response.status_code == 400
    assert response.json()["fields"]["page_size"] == ["Must be an integer from 1 to 10."]


def test_other_lists_are_paginated_too(api_client: Any, db: Any) -> None:
    for url in ("/api/v1/categories/", "/api/v1/stores/"):
        body = api_client.get(url, {"page_size": 1}).json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert api_client.get(url, {"page_size": 0}).status_code == 400


@override_settings(ECOMMERCE_KIT={"PRODUCT_COUNT_EXACT_UP_TO": 30})
def test_product_count_is_exact_up_to_the_setting(
    api_client: Any, products: list[int], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):  # the capped count, the page, the variants
        body = api_client.get(URL, {"page": 2}).json()
    assert body["count"] == 25 and len(body["results"]) == 5


@override_settings(ECOMMERCE_KIT={"PRODUCT_COUNT_EXACT_UP_TO": 10})
def test_product_count_beyond_the_setting_keeps_every_page_reachable(
    api_client: Any, products: list[int]
) -> None:
    """Beyond the limit PostgreSQL estimates the count for pages within the limit (elsewhere it
    stays exact), never below the rows counted; later pages, and ``page=last``, count exactly,
    so every product is reachable page by page."""
    from django.db import connection

    body = api_client.get(URL, {"page_size": 5}).json()
    if connection.vendor == "postgresql":
        assert body["count"] >= 11
    else:
        assert body["count"] == 25
    seen = [p["id"] for p in body["results"]]
    page = 1
    while body["next"] and page < 10:
        page += 1
        body = api_client.get(URL, {"page_size": 5, "page": page}).json()
        seen += [p["id"] for p in body["results"]]
    assert page == 5 and body["count"] == 25  # counted exactly beyond the limit
    assert sorted(seen) == sorted(products)
    last = api_client.get(URL, {"page_size": 5, "page": "last"}).json()
    assert last["count"] == 25 and len(last["results"]) == 5
    assert api_client.get(URL, {"page_size": 5, "page": 6}).status_code == 404


@override_settings(ECOMMERCE_KIT={"PRODUCT_COUNT_EXACT_UP_TO": 3})
def test_estimated_count_with_filters_and_search(api_client: Any) -> None:
    for n in range(6):
        ProductFactory(name=f"Caneca azul {n}")
    ProductFactory(name="Tapete")
    params = {"search": "caneca", "min_price": "0", "currency": "AOA", "page_size": 2}
    body = api_client.get(URL, params).json()
    assert body["count"] >= 4 and len(body["results"]) == 2
    assert api_client.get(URL, {**params, "page": 3}).json()["count"] == 6
