"""``GET products/{id}/rating/``: average, count and distribution."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db


def _rating(client_for: Any, product: Any) -> Any:
    return client_for(None).get(f"/api/v1/products/{product.pk}/rating/")


def test_rating_without_reviews(client_for: Any, product: Any) -> None:
    response = _rating(client_for, product)
    assert response.status_code == 200
    assert response.json() == {
        "average": None,
        "count": 0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
    }


def test_rating_follows_reviews_at_once(client_for: Any, product: Any) -> None:
    make_review(product, rating=4)
    make_review(product, rating=5)
    assert _rating(client_for, product).json() == {
        "average": "4.50",
        "count": 2,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    make_review(product, rating=1)
    body = _rating(client_for, product).json()
    assert (body["average"], body["count"]) == ("3.33", 3)


def test_rating_average_rounds_half_up(client_for: Any, product: Any) -> None:
    # 1 + 1 + 1 + 1 + 1 + 1 + 1 + 2 = 9 over 8 = 1.125 -> 1.13 (half-even would give 1.12)
    for stars in [1] * 7 + [2]:
        make_review(product, rating=stars)
    assert _rating(client_for, product).json()["average"] == "1.13"


def test_rating_leaves_out_hidden_reviews(client_for: Any, product: Any) -> None:
    make_review(product, rating=5)
    make_review(product, rating=1, is_public=False)
    body = _rating(client_for, product).json()
    assert (body["average"], body["count"]) == ("5.00", 1)


def test_rating_of_inactive_product_is_404(client_for: Any, product: Any) -> None:
    product.is_active = False
    product.save()
    response = _rating(client_for, product)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_rating_takes_one_query(
    client_for: Any, product: Any, django_assert_num_queries: Any
) -> None:
    make_review(product, rating=3)
    with django_assert_num_queries(1):
        assert _rating(client_for, product).json()["count"] == 1
