"""One review per user and product: a second one is 409 already_reviewed and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from ecommerce_kit.exceptions import AlreadyReviewedError
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import create_review
from tests.factories import ProductFactory
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_order

pytestmark = pytest.mark.django_db


def test_second_review_is_409(client_for: Any, product: Any, buyer: Any) -> None:
    url = f"/api/v1/products/{product.pk}/reviews/"
    assert client_for(buyer).post(url, {"rating": 5}, format="json").status_code == 201
    response = client_for(buyer).post(url, {"rating": 1, "title": "Changed my mind"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed"
    assert Review.objects.filter(product=product).count() == 1
    assert stored_rating(product).distribution == (0, 0, 0, 0, 1)


def test_second_review_is_409_even_when_first_is_hidden(
    client_for: Any, product: Any, buyer: Any
) -> None:
    review = create_review(user=buyer, product_id=product.pk, rating=5)
    Review.objects.filter(pk=review.pk).update(is_public=False)
    with pytest.raises(AlreadyReviewedError):
        create_review(user=buyer, product_id=product.pk, rating=3)


def test_same_user_may_review_other_products(product: Any, buyer: Any) -> None:
    other = ProductFactory()
    make_order(buyer, [other])
    create_review(user=buyer, product_id=product.pk, rating=5)
    create_review(user=buyer, product_id=other.pk, rating=2)
    assert_rating_exact(product)
    assert_rating_exact(other)


def test_database_enforces_one_review_per_user_and_product(product: Any, buyer: Any) -> None:
    Review.objects.create(product=product, user=buyer, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(product=product, user=buyer, rating=4)


def test_lost_race_is_409_not_500(
    product: Any, buyer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the existence check misses a review committed meanwhile, the insert's unique
    violation is answered as already_reviewed, and the rating is unchanged."""
    create_review(user=buyer, product_id=product.pk, rating=5)
    real_filter = Review.objects.filter

    class _MissesOnce:
        def __init__(self) -> None:
            self.calls = 0

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                return real_filter(pk=-1)
            return real_filter(*args, **kwargs)

    monkeypatch.setattr(Review.objects, "filter", _MissesOnce())
    with pytest.raises(AlreadyReviewedError):
        create_review(user=buyer, product_id=product.pk, rating=1)
    monkeypatch.undo()
    assert Review.objects.filter(product=product).count() == 1
    assert_rating_exact(product)
