"""A store's owner may not review the products of their own store, even after buying them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from ecommerce_kit.exceptions import OwnProductError
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import create_review
from tests.factories import ProductFactory, StaffFactory, StoreFactory, UserFactory, VariantFactory
from tests.reviews.conftest import stored_rating
from tests.reviews.factories import make_order

pytestmark = pytest.mark.django_db


def _post(client_for: Any, user: Any, product: Any, **headers: Any) -> Any:
    return client_for(user).post(
        f"/api/v1/products/{product.pk}/reviews/",
        {"rating": 5, "title": "Best in town", "body": "Buy it."},
        format="json",
        **headers,
    )


def _assert_own_product(response: Any, product: Any) -> None:
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "own_product"
    assert response.json()["status_code"] == 403
    assert not Review.objects.filter(product=product).exists()
    assert stored_rating(product).count == 0


def test_owner_with_a_delivered_order_of_their_product_cannot_review_it(
    client_for: Any, product: Any
) -> None:
    owner = product.store.owner
    make_order(owner, [product])
    _assert_own_product(_post(client_for, owner, product), product)


def test_owner_without_an_order_gets_own_product_not_purchase_required(
    client_for: Any, product: Any
) -> None:
    _assert_own_product(_post(client_for, product.store.owner, product), product)


@override_settings(ECOMMERCE_KIT={"REVIEWS_REQUIRE_PURCHASE": False})
def test_owner_cannot_review_own_product_when_purchase_is_not_required(
    client_for: Any, product: Any
) -> None:
    _assert_own_product(_post(client_for, product.store.owner, product), product)
    # Anyone else still may.
    assert _post(client_for, UserFactory(), product).status_code == 201


def test_owner_cannot_review_a_variant_of_their_product(client_for: Any) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    owner = group.store.owner
    make_order(owner, [variant])
    _assert_own_product(_post(client_for, owner, variant), variant)


def test_staff_owner_cannot_review_own_product(client_for: Any) -> None:
    staff = StaffFactory()
    product = ProductFactory(store=StoreFactory(owner=staff))
    make_order(staff, [product])
    _assert_own_product(_post(client_for, staff, product), product)


def test_owner_may_review_another_store_product(client_for: Any, product: Any) -> None:
    other = ProductFactory()
    owner = product.store.owner
    make_order(owner, [other])
    response = _post(client_for, owner, other)
    assert response.status_code == 201, response.json()
    assert response.json()["verified_purchase"] is True


def test_unknown_product_is_still_not_found_for_an_owner(client_for: Any, product: Any) -> None:
    response = client_for(product.store.owner).post(
        "/api/v1/products/999999999/reviews/", {"rating": 5}, format="json"
    )
    assert response.status_code == 404


def test_bad_rating_from_owner_is_a_400(client_for: Any, product: Any) -> None:
    response = client_for(product.store.owner).post(
        f"/api/v1/products/{product.pk}/reviews/", {"rating": 9}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_own_product_message_is_translated(client_for: Any, product: Any) -> None:
    with translation.override("en"):  # the request switches to Portuguese; switch back after it
        response = _post(client_for, product.store.owner, product, HTTP_ACCEPT_LANGUAGE="pt")
    assert response.status_code == 403
    assert response.json()["error"] == "Não pode avaliar um produto da sua própria loja."


def test_service_refuses_the_owner(product: Any) -> None:
    owner = product.store.owner
    make_order(owner, [product])
    with pytest.raises(OwnProductError):
        create_review(user=owner, product_id=product.pk, rating=5)
    assert not Review.objects.exists()
    assert stored_rating(product).count == 0
    with translation.override("en"):
        assert str(OwnProductError().message) == "You cannot review a product of your own store."
