"""Concurrent writes to one product's reviews leave its rating exact (no lost update).

Each thread uses its own database connection. Run on SQLite (file database) and PostgreSQL:
``DATABASE_URL=postgres://postgres@127.0.0.1:55432/ek_reviews pytest tests/reviews -m concurrency``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from ecommerce_kit.exceptions import AlreadyReviewedError, NotFoundError
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import (
    create_review,
    delete_review,
    set_review_visibility,
    update_review,
)
from tests.factories import StaffFactory
from tests.reviews.concurrency import run_concurrently
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_buyer, make_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_concurrent_creates_by_different_buyers(product: Any) -> None:
    buyers = [make_buyer(product) for _ in range(20)]
    stars = [i % 5 + 1 for i in range(20)]
    results = run_concurrently(
        [
            (
                lambda user=user, rating=rating: create_review(
                    user=user, product_id=product.pk, rating=rating
                )
            )
            for user, rating in zip(buyers, stars, strict=True)
        ]
    )
    assert all(isinstance(r, Review) for r in results), results
    rating = assert_rating_exact(product)
    assert rating.count == 20
    assert rating.distribution == (4, 4, 4, 4, 4)


def test_concurrent_creates_by_one_buyer_make_one_review(product: Any, buyer: Any) -> None:
    results = run_concurrently(
        [
            (lambda n=n: create_review(user=buyer, product_id=product.pk, rating=n % 5 + 1))
            for n in range(8)
        ]
    )
    created = [r for r in results if isinstance(r, Review)]
    assert len(created) == 1, results
    assert all(isinstance(r, AlreadyReviewedError) for r in results if r not in created)
    assert Review.objects.filter(product=product).count() == 1
    assert assert_rating_exact(product).count == 1


def test_concurrent_creates_edits_deletes_and_moderation(product: Any) -> None:
    rng = random.Random(1234)
    existing = [make_review(product, rating=rng.randint(1, 5)) for _ in range(12)]
    newcomers = [make_buyer(product) for _ in range(6)]
    staff = StaffFactory()
    tasks: list[Callable[[], Any]] = []
    for review in existing[:5]:
        tasks.append(
            partial(update_review, review_id=review.pk, user=review.user, rating=rng.randint(1, 5))
        )
    for review in existing[5:8]:
        tasks.append(partial(delete_review, review_id=review.pk, user=review.user))
    tasks.append(
        partial(set_review_visibility, review_ids=[r.pk for r in existing[8:11]], is_public=False)
    )
    tasks.append(partial(delete_review, review_id=existing[11].pk, user=staff))
    tasks.append(partial(set_review_visibility, review_ids=[existing[0].pk], is_public=False))
    for user in newcomers:
        tasks.append(
            partial(create_review, user=user, product_id=product.pk, rating=rng.randint(1, 5))
        )
    results = run_concurrently(tasks)
    assert not any(isinstance(r, Exception) for r in results), results
    assert Review.objects.filter(product=product).count() == 12 - 4 + 6
    assert_rating_exact(product)


def test_concurrent_deletes_of_one_review_count_once(product: Any) -> None:
    make_review(product, rating=2)
    review = make_review(product, rating=5)
    staff = [StaffFactory() for _ in range(3)]
    results = run_concurrently(
        [lambda: delete_review(review_id=review.pk, user=review.user)]
        + [(lambda s=s: delete_review(review_id=review.pk, user=s)) for s in staff]
    )
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, NotFoundError) for r in results if r is not None)
    assert stored_rating(product).distribution == (0, 1, 0, 0, 0)
    assert_rating_exact(product)


def test_concurrent_edit_and_hide_of_one_review(product: Any) -> None:
    review = make_review(product, rating=1)
    make_review(product, rating=3)
    run_concurrently(
        [
            lambda: update_review(review_id=review.pk, user=review.user, rating=5),
            lambda: set_review_visibility(review_ids=[review.pk], is_public=False),
            lambda: update_review(review_id=review.pk, user=review.user, rating=4),
        ]
    )
    assert_rating_exact(product)
