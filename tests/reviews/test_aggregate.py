"""Every write keeps the product's rating equal to a recomputation from its public reviews."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from ecommerce_kit.catalog.models import ProductRating
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import (
    delete_review,
    recompute_rating,
    set_review_visibility,
    update_review,
)
from tests.factories import ProductFactory, StaffFactory, UserFactory
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db


def test_create_counts_review(product: Any) -> None:
    make_review(product, rating=4)
    make_review(product, rating=5)
    make_review(product, rating=5)
    rating = ProductRating.objects.get(pk=product.pk)
    assert (rating.count, rating.total, rating.average) == (3, 14, Decimal("4.67"))
    assert rating.distribution == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2}
    assert_rating_exact(product)


def test_edit_moves_rating_between_buckets(product: Any) -> None:
    review = make_review(product, rating=1)
    make_review(product, rating=3)
    update_review(review_id=review.pk, user=review.user, rating=5)
    assert stored_rating(product).distribution == (0, 0, 1, 0, 1)
    assert stored_rating(product).average == Decimal("4.00")
    assert_rating_exact(product)


def test_edit_of_text_leaves_rating(product: Any) -> None:
    review = make_review(product, rating=2)
    before = ProductRating.objects.get(pk=product.pk).updated_at
    update_review(review_id=review.pk, user=review.user, title="Only the title")
    assert ProductRating.objects.get(pk=product.pk).updated_at == before
    assert_rating_exact(product)


def test_delete_takes_review_out(product: Any) -> None:
    keep = make_review(product, rating=2)
    gone = make_review(product, rating=4)
    delete_review(review_id=gone.pk, user=gone.user)
    assert stored_rating(product).distribution == (0, 1, 0, 0, 0)
    delete_review(review_id=keep.pk, user=StaffFactory())
    rating = stored_rating(product)
    assert (rating.count, rating.total, rating.average) == (0, 0, None)


def test_hide_and_show_move_review_out_and_back(product: Any) -> None:
    first = make_review(product, rating=5)
    second = make_review(product, rating=1)
    assert set_review_visibility(review_ids=[first.pk, second.pk], is_public=False) == 2
    assert stored_rating(product).count == 0
    assert_rating_exact(product)
    assert set_review_visibility(review_ids=[first.pk], is_public=True) == 1
    assert stored_rating(product).distribution == (0, 0, 0, 0, 1)
    assert_rating_exact(product)


def test_hide_twice_changes_nothing_the_second_time(product: Any) -> None:
    review = make_review(product, rating=3)
    make_review(product, rating=4)
    assert set_review_visibility(review_ids=[review.pk], is_public=False) == 1
    assert set_review_visibility(review_ids=[review.pk], is_public=False) == 0
    assert set_review_visibility(review_ids=[], is_public=False) == 0
    assert set_review_visibility(review_ids=[987654], is_public=True) == 0
    assert stored_rating(product).count == 1
    assert_rating_exact(product)


def test_bulk_visibility_across_products(product: Any) -> None:
    other = ProductFactory()
    reviews = [
        make_review(product, rating=2),
        make_review(other, rating=5),
        make_review(other, rating=4),
    ]
    set_review_visibility(review_ids=[r.pk for r in reviews], is_public=False)
    assert stored_rating(product).count == 0
    assert stored_rating(other).count == 0
    set_review_visibility(review_ids=[r.pk for r in reviews[1:]], is_public=True)
    assert stored_rating(other).distribution == (0, 0, 0, 1, 1)
    assert_rating_exact(product)
    assert_rating_exact(other)


def test_edit_of_hidden_review_leaves_rating(product: Any) -> None:
    make_review(product, rating=4)
    hidden = make_review(product, rating=1, is_public=False)
    update_review(review_id=hidden.pk, user=hidden.user, rating=2)
    assert stored_rating(product).distribution == (0, 0, 0, 1, 0)
    set_review_visibility(review_ids=[hidden.pk], is_public=True)
    assert stored_rating(product).distribution == (0, 1, 0, 1, 0)
    assert_rating_exact(product)


def test_deleting_hidden_review_leaves_rating(product: Any) -> None:
    make_review(product, rating=4)
    hidden = make_review(product, rating=1, is_public=False)
    delete_review(review_id=hidden.pk, user=hidden.user)
    assert stored_rating(product).distribution == (0, 0, 0, 1, 0)


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
def test_deleting_the_author_takes_their_reviews_out(product: Any) -> None:
    """A user without orders can be deleted; the cascade takes their reviews out."""
    other = ProductFactory()
    author = UserFactory()
    make_review(product, user=author, rating=5)
    make_review(product, rating=3)
    make_review(other, user=author, rating=1)
    author.delete()
    assert stored_rating(product).distribution == (0, 0, 1, 0, 0)
    assert stored_rating(other).count == 0
    assert_rating_exact(product)
    assert_rating_exact(other)


def test_queryset_delete_keeps_rating_exact(product: Any) -> None:
    for stars in (1, 2, 5, 5):
        make_review(product, rating=stars)
    Review.objects.filter(product=product, rating=5).delete()
    assert stored_rating(product).distribution == (1, 1, 0, 0, 0)
    assert_rating_exact(product)


def test_drifted_row_heals_on_next_write(product: Any) -> None:
    review = make_review(product, rating=5)
    # Someone changed the reviews behind the services' back.
    ProductRating.objects.filter(pk=product.pk).update(count=0, total=0, average=None, count_5=0)
    update_review(review_id=review.pk, user=review.user, rating=3)
    assert stored_rating(product).distribution == (0, 0, 1, 0, 0)
    assert_rating_exact(product)


def test_missing_rating_row_is_created(product: Any) -> None:
    assert not ProductRating.objects.filter(pk=product.pk).exists()
    make_review(product, rating=2)
    assert ProductRating.objects.get(pk=product.pk).count == 1


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
def test_deleting_a_product_deletes_its_reviews_and_rating() -> None:
    product = ProductFactory()
    make_review(product, user=UserFactory(), rating=4)
    product.delete()
    assert not Review.objects.exists()
    assert not ProductRating.objects.exists()


def test_recompute_rating_restores_a_corrupted_row(product: Any) -> None:
    make_review(product, rating=5)
    make_review(product, rating=2)
    ProductRating.objects.filter(pk=product.pk).update(
        count=1, total=1, average=Decimal("1.00"), count_1=1, count_2=0, count_5=0
    )
    row = recompute_rating(product_id=product.pk)
    assert (row.count, row.total, row.average) == (2, 7, Decimal("3.50"))
    assert_rating_exact(product)
