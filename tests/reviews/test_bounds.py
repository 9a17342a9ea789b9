"""A rating outside 1..5 (or not an integer) is a 400 that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from ecommerce_kit.exceptions import InvalidInputError
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import create_review, update_review
from tests.reviews.conftest import assert_rating_exact, stored_rating

pytestmark = pytest.mark.django_db

BAD_RATINGS = [0, 6, -1, "x", "", None, 4.5, "4.5", True, [5], {"v": 5}]


@pytest.mark.parametrize("rating", BAD_RATINGS)
def test_create_with_bad_rating_is_400(
    client_for: Any, product: Any, buyer: Any, rating: Any
) -> None:
    response = client_for(buyer).post(
        f"/api/v1/products/{product.pk}/reviews/", {"rating": rating}, format="json"
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert "rating" in body["fields"]
    assert not Review.objects.exists()
    assert stored_rating(product).count == 0


def test_create_without_rating_is_400(client_for: Any, product: Any, buyer: Any) -> None:
    response = client_for(buyer).post(
        f"/api/v1/products/{product.pk}/reviews/", {"title": "No stars"}, format="json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()["fields"]


@pytest.mark.parametrize("rating", [1, 5, "3"])
def test_create_with_rating_in_bounds(
    client_for: Any, product: Any, buyer: Any, rating: Any
) -> None:
    response = client_for(buyer).post(
        f"/api/v1/products/{product.pk}/reviews/", {"rating": rating}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["rating"] == int(rating)


def test_create_with_too_long_title_is_400(client_for: Any, product: Any, buyer: Any) -> None:
    response = client_for(buyer).post(
        f"/api/v1/products/{product.pk}/reviews/", {"rating": 4, "title": "x" * 201}, format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["fields"]


def test_create_with_malformed_json_is_400(client_for: Any, product: Any, buyer: Any) -> None:
    response = client_for(buyer).post(
        f"/api/v1/products/{product.pk}/reviews/", "{rating", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_edit_with_bad_rating_is_400_and_keeps_rating(
    client_for: Any, product: Any, buyer: Any, rating: Any
) -> None:
    review = create_review(user=buyer, product_id=product.pk, rating=3)
    response = client_for(buyer).patch(
        f"/api/v1/reviews/{review.pk}/", {"rating": rating}, format="json"
    )
    assert response.status_code == 400
    assert "rating" in response.json()["fields"]
    review.refresh_from_db()
    assert review.rating == 3
    assert_rating_exact(product)


@pytest.mark.parametrize("rating", [0, 6, "5", 2.0, True, None])
def test_service_rejects_bad_rating(product: Any, buyer: Any, rating: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        create_review(user=buyer, product_id=product.pk, rating=rating)
    assert "rating" in info.value.extra["fields"]
    review = create_review(user=buyer, product_id=product.pk, rating=2)
    with pytest.raises(InvalidInputError):
        update_review(review_id=review.pk, user=buyer, rating=rating)
    assert_rating_exact(product)


@pytest.mark.parametrize("rating", [0, 6])
def test_database_enforces_rating_bounds(product: Any, buyer: Any, rating: int) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(product=product, user=buyer, rating=rating)
