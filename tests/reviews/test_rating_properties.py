"""Property: after any sequence of review writes, every rating equals a recomputation."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecommerce_kit.exceptions import AlreadyReviewedError, InvalidInputError
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import (
    create_review,
    delete_review,
    set_review_visibility,
    update_review,
)
from tests.factories import ProductFactory, StaffFactory, UserFactory
from tests.reviews.conftest import assert_rating_exact

pytestmark = pytest.mark.django_db

USERS = 4
PRODUCTS = 2

_user = st.integers(0, USERS - 1)
_product = st.integers(0, PRODUCTS - 1)
_stars = st.integers(-1, 7)  # out-of-range values must change nothing
_operation = st.one_of(
    st.tuples(st.just("create"), _user, _product, _stars),
    st.tuples(st.just("edit"), _user, _product, _stars),
    st.tuples(st.just("delete"), _user, _product, st.booleans()),
    st.tuples(st.just("hide"), st.lists(st.tuples(_user, _product), max_size=4)),
    st.tuples(st.just("show"), st.lists(st.tuples(_user, _product), max_size=4)),
)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    return {
        "users": [UserFactory() for _ in range(USERS)],
        "products": [ProductFactory() for _ in range(PRODUCTS)],
        "staff": StaffFactory(),
    }


def _review(world: dict[str, Any], user: int, product: int) -> Review | None:
    return Review.objects.filter(
        user=world["users"][user], product=world["products"][product]
    ).first()


def _apply(world: dict[str, Any], operation: tuple[Any, ...]) -> None:
    kind = operation[0]
    if kind == "create":
        _, user, product, stars = operation
        try:
            create_review(
                user=world["users"][user], product_id=world["products"][product].pk, rating=stars
            )
        except (AlreadyReviewedError, InvalidInputError):
            pass
    elif kind == "edit":
        _, user, product, stars = operation
        review = _review(world, user, product)
        if review is not None:
            try:
                update_review(review_id=review.pk, user=review.user, rating=stars)
            except InvalidInputError:
                pass
    elif kind == "delete":
        _, user, product, by_staff = operation
        review = _review(world, user, product)
        if review is not None:
            delete_review(review_id=review.pk, user=world["staff"] if by_staff else review.user)
    else:
        reviews = [_review(world, u, p) for u, p in operation[1]]
        set_review_visibility(
            review_ids=[r.pk for r in reviews if r is not None], is_public=kind == "show"
        )


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(_operation, max_size=25))
def test_rating_always_equals_recomputation(
    world: dict[str, Any], operations: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():  # each example starts from the same empty state
        for operation in operations:
            _apply(world, operation)
            for product in world["products"]:
                assert_rating_exact(product)
        transaction.set_rollback(True)
