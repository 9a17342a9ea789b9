"""The product list shows and sorts by the ratings the reviews keep, without extra queries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ProductFactory
from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/"


def _rated_catalog(count: int) -> list[Any]:
    products = [ProductFactory() for _ in range(count)]
    for index, product in enumerate(products):
        for rating in (1 + index % 5, 5):
            make_review(product, rating=rating)
    ProductFactory()  # one product without reviews
    return products


def test_list_shows_each_products_rating_at_once(api_client: Any) -> None:
    product = ProductFactory()
    make_review(product, rating=4)
    make_review(product, rating=5)
    item = next(p for p in api_client.get(URL).data["results"] if p["id"] == product.pk)
    assert item["rating"] == {"average": "4.50", "count": 2}


def test_ordering_by_rating_sorts_by_average_with_unrated_last(api_client: Any) -> None:
    _rated_catalog(5)
    for ordering, descending in (("rating", False), ("-rating", True)):
        results = api_client.get(URL, {"ordering": ordering}).data["results"]
        averages = [p["rating"]["average"] for p in results]
        assert averages[-1] is None
        rated = [float(a) for a in averages[:-1]]
        assert rated == sorted(rated, reverse=descending)


@pytest.mark.parametrize("ordering", ["rating", "-rating"])
def test_rated_list_uses_the_same_queries_for_1_and_20_products(
    api_client: Any, django_assert_num_queries: Any, ordering: str
) -> None:
    _rated_catalog(20)
    with django_assert_num_queries(3):
        assert len(api_client.get(URL, {"ordering": ordering, "page_size": 1}).data["results"]) == 1
    with django_assert_num_queries(3):
        response = api_client.get(URL, {"ordering": ordering, "page_size": 21})
    assert len(response.data["results"]) == 21
