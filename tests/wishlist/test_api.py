"""``wishlist/``: list, idempotent add and remove."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ecommerce_kit.catalog.models import ProductRating
from ecommerce_kit.wishlist.models import WishlistItem
from tests.factories import ProductFactory, StoreFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/wishlist/"

PRODUCT_KEYS = {
    "id",
    "slug",
    "name",
    "description",
    "price",
    "stock_quantity",
    "in_stock",
    "category",
    "store",
    "rating",
    "attributes",
    "parent",
    "variants",
    "is_active",
    "created_at",
    "updated_at",
}


def test_add_is_201_then_200(client_for: Any, user: Any, product: Any) -> None:
    client = client_for(user)
    first = client.post(URL, {"product": product.pk}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["product"]["id"] == product.pk
    assert set(first.json()) == {"product", "added_at"}
    again = client.post(URL, {"product": product.pk}, format="json")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert WishlistItem.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"product": "abc"},
        {"product": None},
        {"product": 1.5},
        {"product": [1]},
        {"product": 0},
        {"product": 10**30},
    ],
)
def test_add_with_bad_body_is_400(client_for: Any, user: Any, body: dict[str, Any]) -> None:
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "product" in response.json()["fields"]
    assert not WishlistItem.objects.exists()


def test_add_unknown_product_is_400_product_unavailable(client_for: Any, user: Any) -> None:
    response = client_for(user).post(URL, {"product": 987654}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "product_unavailable"


def test_add_unavailable_product_is_400(client_for: Any, user: Any) -> None:
    inactive = ProductFactory(is_active=False)
    unapproved = ProductFactory(store=StoreFactory(is_approved=False))
    for product in (inactive, unapproved):
        response = client_for(user).post(URL, {"product": product.pk}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "product_unavailable"
    assert not WishlistItem.objects.exists()


def test_add_variant_and_group(client_for: Any, user: Any) -> None:
    group = ProductFactory(stock_quantity=0)
    variant = VariantFactory(parent=group, stock_quantity=3)
    VariantFactory(parent=group, is_active=False)
    client = client_for(user)
    assert client.post(URL, {"product": group.pk}, format="json").status_code == 201
    assert client.post(URL, {"product": variant.pk}, format="json").status_code == 201
    results = client.get(URL).json()["results"]
    by_id = {item["product"]["id"]: item["product"] for item in results}
    assert [v["id"] for v in by_id[group.pk]["variants"]] == [variant.pk]
    assert by_id[group.pk]["in_stock"] is True
    assert by_id[variant.pk]["parent"] == group.pk
    assert by_id[variant.pk]["variants"] == []


def test_list_shows_own_items_newest_first(client_for: Any, user: Any) -> None:
    older, newer = ProductFactory(), ProductFactory()
    now = timezone.now()
    WishlistItem.objects.create(user=user, product=older)
    WishlistItem.objects.create(user=user, product=newer)
    WishlistItem.objects.filter(product=older).update(added_at=now - timedelta(days=1))
    WishlistItem.objects.create(user=UserFactory(), product=ProductFactory())
    body = client_for(user).get(URL).json()
    assert body["count"] == 2
    assert [item["product"]["id"] for item in body["results"]] == [newer.pk, older.pk]


def test_list_item_has_the_product_shape(client_for: Any, user: Any, product: Any) -> None:
    ProductRating.objects.create(
        product=product, count=2, total=9, average="4.50", count_4=1, count_5=1
    )
    WishlistItem.objects.create(user=user, product=product)
    item = client_for(user).get(URL).json()["results"][0]
    shown = item["product"]
    assert set(shown) == PRODUCT_KEYS
    assert shown["price"] == {"amount": "1000.00", "currency": "AOA"}
    assert shown["rating"] == {"average": "4.50", "count": 2}
    assert shown["category"] == {
        "id": product.category.pk,
        "slug": product.category.slug,
        "name": product.category.name,
    }
    assert shown["store"] == {
        "id": product.store.pk,
        "slug": product.store.slug,
        "name": product.store.name,
    }
    assert (shown["in_stock"], shown["is_active"], shown["parent"]) == (True, True, None)


def test_list_keeps_deactivated_products_marked(client_for: Any, user: Any, product: Any) -> None:
    client = client_for(user)
    client.post(URL, {"product": product.pk}, format="json")
    product.is_active = False
    product.save()
    results = client.get(URL).json()["results"]
    assert len(results) == 1
    assert results[0]["product"]["is_active"] is False
    assert results[0]["product"]["rating"] == {"average": None, "count": 0}


def test_remove_is_204_then_404(client_for: Any, user: Any, product: Any) -> None:
    client = client_for(user)
    client.post(URL, {"product": product.pk}, format="json")
    assert client.delete(f"{URL}{product.pk}/").status_code == 204
    assert not WishlistItem.objects.exists()
    response = client.delete(f"{URL}{product.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_remove_of_deactivated_product(client_for: Any, user: Any, product: Any) -> None:
    WishlistItem.objects.create(user=user, product=product)
    product.is_active = False
    product.save()
    assert client_for(user).delete(f"{URL}{product.pk}/").status_code == 204


def test_remove_leaves_other_users_items(client_for: Any, user: Any, product: Any) -> None:
    other = UserFactory()
    WishlistItem.objects.create(user=other, product=product)
    assert client_for(user).delete(f"{URL}{product.pk}/").status_code == 404
    assert WishlistItem.objects.filter(user=other).exists()


def test_wishlist_needs_authentication(client_for: Any, product: Any) -> None:
    anonymous = client_for(None)
    for response in (
        anonymous.get(URL),
        anonymous.post(URL, {"product": product.pk}),
        anonymous.delete(f"{URL}{product.pk}/"),
    ):
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"


def test_list_is_paginated(client_for: Any, user: Any) -> None:
    for _ in range(3):
        WishlistItem.objects.create(user=user, product=ProductFactory())
    body = client_for(user).get(URL, {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"]


@pytest.mark.parametrize("count", [1, 10])
def test_list_query_count_does_not_grow_with_items(
    client_for: Any,
    user: Any,
    count: int,
    django_assert_num_queries: Any,
) -> None:
    for n in range(count):
        group = ProductFactory()
        WishlistItem.objects.create(user=user, product=group)
        if n % 2:
            VariantFactory(parent=group)
            VariantFactory(parent=group)
    client = client_for(user)
    # count, page of items, their products (rating, store, category joined), active variants
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert len(response.json()["results"]) == count
