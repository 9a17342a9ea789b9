"""Only buyers with a delivered order of the product may review it (unless relaxed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.reviews.models import Review
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.reviews.conftest import stored_rating
from tests.reviews.factories import make_order

pytestmark = pytest.mark.django_db


def _post(client_for: Any, user: Any, product: Any, **body: Any) -> Any:
    return client_for(user).post(
        f"/api/v1/products/{product.pk}/reviews/",
        {"rating": 5, "title": "Great", "body": "Works.", **body},
        format="json",
    )


def _assert_purchase_required(response: Any, product: Any) -> None:
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "purchase_required"
    assert response.json()["status_code"] == 403
    assert not Review.objects.filter(product=product).exists()
    assert stored_rating(product).count == 0


def test_review_refused_without_any_order(client_for: Any, product: Any) -> None:
    _assert_purchase_required(_post(client_for, UserFactory(), product), product)


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.SHIPPED],
)
def test_review_refused_when_order_not_delivered(
    client_for: Any, product: Any, status: str
) -> None:
    user = UserFactory()
    make_order(user, [product], status=status)
    _assert_purchase_required(_post(client_for, user, product), product)


def test_review_refused_when_order_cancelled(client_for: Any, product: Any) -> None:
    user = UserFactory()
    make_order(user, [product], status=OrderStatus.CANCELLED)
    _assert_purchase_required(_post(client_for, user, product), product)


def test_review_refused_with_delivered_order_of_another_product(
    client_for: Any, product: Any
) -> None:
    user = UserFactory()
    make_order(user, [ProductFactory()])
    _assert_purchase_required(_post(client_for, user, product), product)


def test_review_refused_when_another_user_bought_it(
    client_for: Any, product: Any, buyer: Any
) -> None:
    _assert_purchase_required(_post(client_for, UserFactory(), product), product)


def test_review_allowed_with_delivered_order(client_for: Any, product: Any, buyer: Any) -> None:
    response = _post(client_for, buyer, product, rating=4)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["verified_purchase"] is True
    assert body["rating"] == 4
    assert body["product"] == product.pk
    assert body["user"] == {"id": buyer.pk, "username": buyer.username}
    assert stored_rating(product).count == 1


def test_review_allowed_with_one_delivered_order_among_others(
    client_for: Any, product: Any
) -> None:
    user = UserFactory()
    make_order(user, [product], status=OrderStatus.CANCELLED)
    make_order(user, [ProductFactory(), product])
    assert _post(client_for, user, product).status_code == 201


def test_review_of_variant_needs_that_variant_bought(client_for: Any) -> None:
    group = ProductFactory()
    small, large = VariantFactory(parent=group), VariantFactory(parent=group)
    user = UserFactory()
    make_order(user, [small])
    _assert_purchase_required(_post(client_for, user, large), large)
    _assert_purchase_required(_post(client_for, user, group), group)
    response = _post(client_for, user, small)
    assert response.status_code == 201
    assert response.json()["verified_purchase"] is True


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
def test_relaxed_setting_lets_anyone_review_unverified(client_for: Any, product: Any) -> None:
    response = _post(client_for, UserFactory(), product)
    assert response.status_code == 201, response.json()
    assert response.json()["verified_purchase"] is False


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
def test_relaxed_setting_still_marks_buyers_verified(
    client_for: Any, product: Any, buyer: Any
) -> None:
    response = _post(client_for, buyer, product)
    assert response.status_code == 201
    assert response.json()["verified_purchase"] is True


def test_review_needs_authentication(client_for: Any, product: Any) -> None:
    response = _post(client_for, None, product)
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"store_inactive": True},
        {"store_unapproved": True},
    ],
)
def test_review_of_unavailable_product_is_404(
    client_for: Any, product: Any, buyer: Any, change: dict[str, bool]
) -> None:
    if change.get("is_active") is False:
        product.is_active = False
        product.save()
    if change.get("store_inactive"):
        product.store.is_active = False
        product.store.save()
    if change.get("store_unapproved"):
        product.store.is_approved = False
        product.store.save()
    response = _post(client_for, buyer, product)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Review.objects.exists()


def test_review_of_variant_of_inactive_group_is_404(client_for: Any) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    user = UserFactory()
    make_order(user, [variant])
    group.is_active = False
    group.save()
    assert _post(client_for, user, variant).status_code == 404


def test_review_of_unknown_product_is_404(client_for: Any, buyer: Any) -> None:
    response = client_for(buyer).post(
        "/api/v1/products/999999/reviews/", {"rating": 5}, format="json"
    )
    assert response.status_code == 404
