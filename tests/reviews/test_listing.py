"""``GET products/{id}/reviews/``: public reviews, newest first, ordering, pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ecommerce_kit.reviews.models import Review
from tests.factories import ProductFactory
from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db


def _url(product: Any, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/products/{product.pk}/reviews/" + (f"?{query}" if query else "")


def _reviews_aged(product: Any, ratings: list[int]) -> list[Review]:
    """Reviews of ``product`` with the given ratings, the first the oldest."""
    reviews = [make_review(product, rating=r) for r in ratings]
    now = timezone.now()
    for age, review in enumerate(reversed(reviews)):
        Review.objects.filter(pk=review.pk).update(created_at=now - timedelta(days=age))
    return reviews


def test_list_shows_public_reviews_newest_first(client_for: Any, product: Any) -> None:
    oldest, middle, newest = _reviews_aged(product, [3, 5, 1])
    make_review(product, rating=2, is_public=False)
    make_review(ProductFactory(), rating=4)
    response = client_for(None).get(_url(product))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [newest.pk, middle.pk, oldest.pk]
    assert set(body) == {"count", "next", "previous", "results"}


def test_list_item_has_the_review_shape(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=4, title="Solid", body="Does the job.")
    item = client_for(None).get(_url(product)).json()["results"][0]
    assert set(item) == {
        "id",
        "product",
        "user",
        "rating",
        "title",
        "body",
        "verified_purchase",
        "created_at",
        "updated_at",
    }
    assert item["product"] == product.pk
    assert item["user"] == {"id": review.user.pk, "username": review.user.username}
    assert (item["rating"], item["title"], item["body"]) == (4, "Solid", "Does the job.")
    assert item["verified_purchase"] is True
    assert item["created_at"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-created_at", [2, 1, 0]),
        ("created_at", [0, 1, 2]),
        ("rating", [1, 2, 0]),
        ("-rating", [0, 2, 1]),
    ],
)
def test_list_ordering(client_for: Any, product: Any, ordering: str, expected: list[int]) -> None:
    reviews = _reviews_aged(product, [5, 1, 3])
    response = client_for(None).get(_url(product, ordering=ordering))
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [reviews[i].pk for i in expected]


def test_list_rating_ties_are_newest_first(client_for: Any, product: Any) -> None:
    older, newer = _reviews_aged(product, [4, 4])
    ids = [
        r["id"] for r in client_for(None).get(_url(product, ordering="-rating")).json()["results"]
    ]
    assert ids == [newer.pk, older.pk]


@pytest.mark.parametrize("ordering", ["price", "-title", "user", "rating,created_at", "RATING"])
def test_list_bad_ordering_is_400(client_for: Any, product: Any, ordering: str) -> None:
    response = client_for(None).get(_url(product, ordering=ordering))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "ordering" in response.json()["fields"]


def test_list_is_paginated(client_for: Any, product: Any) -> None:
    reviews = _reviews_aged(product, [1, 2, 3, 4, 5])
    client = client_for(None)
    first = client.get(_url(product, page_size=2)).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None and first["next"]
    last = client.get(_url(product, page_size=2, page=3)).json()
    assert [r["id"] for r in last["results"]] == [reviews[0].pk]
    assert client.get(_url(product, page_size=0)).status_code == 400
    assert client.get(_url(product, page_size=101)).status_code == 400


def test_list_of_product_without_reviews_is_empty(client_for: Any, product: Any) -> None:
    body = client_for(None).get(_url(product)).json()
    assert body["count"] == 0
    assert body["results"] == []


def test_list_of_inactive_or_unknown_product_is_404(client_for: Any, product: Any) -> None:
    make_review(product)
    product.is_active = False
    product.save()
    assert client_for(None).get(_url(product)).status_code == 404
    assert client_for(None).get("/api/v1/products/999999/reviews/").status_code == 404
    huge = client_for(None).get(f"/api/v1/products/{10**30}/reviews/")
    assert huge.status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_list_query_count_does_not_grow_with_reviews(
    client_for: Any,
    product: Any,
    count: int,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(count):
        make_review(product)
    client = client_for(None)
    # product, count, page (authors joined)
    with django_assert_num_queries(3):
        response = client.get(_url(product, page_size=30))
    assert len(response.json()["results"]) == count
