from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.utils.dateparse import parse_datetime
from moneyed import Money

from ecommerce_kit.catalog.models import Category, Product, ProductRating, Store
from tests.catalog.helpers import product_url, products_url
from tests.factories import ProductFactory, StaffFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db

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


def _results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_product_detail_has_the_contract_shape(
    api_client: Any, store: Store, category: Category
) -> None:
    product = ProductFactory(
        store=store,
        category=category,
        name="Caneca",
        slug="caneca",
        description="De barro",
        price=Money("1250.5", "AOA"),
        stock_quantity=3,
        attributes={"cor": "azul", "litros": 0.5},
    )
    body = api_client.get(product_url(product.pk)).json()
    assert set(body) == PRODUCT_KEYS
    assert body["id"] == product.pk
    assert body["slug"] == "caneca" and body["name"] == "Caneca"
    assert body["description"] == "De barro"
    assert body["price"] == {"amount": "1250.50", "currency": "AOA"}
    assert body["stock_quantity"] == 3 and body["in_stock"] is True
    assert body["category"] == {"id": category.pk, "slug": "roupa", "name": "Roupa"}
    assert body["store"] == {"id": store.pk, "slug": "loja-da-ana", "name": "Loja da Ana"}
    assert body["rating"] == {"average": None, "count": 0}
    assert body["attributes"] == {"cor": "azul", "litros": 0.5}
    assert body["parent"] is None and body["variants"] == []
    assert body["is_active"] is True
    for key in ("created_at", "updated_at"):
        stamp = parse_datetime(body[key])
        assert stamp is not None and stamp.tzinfo is not None


def test_product_rating_average_is_a_two_decimal_string(api_client: Any) -> None:
    product = ProductFactory()
    ProductRating.objects.create(
        product=product, count=2, total=9, average=Decimal("4.5"), count_4=1, count_5=1
    )
    body = api_client.get(product_url(product.pk)).json()
    assert body["rating"] == {"average": "4.50", "count": 2}


def test_product_out_of_stock_is_not_in_stock(api_client: Any) -> None:
    product = ProductFactory(stock_quantity=0)
    assert api_client.get(product_url(product.pk)).json()["in_stock"] is False


def test_group_nests_its_active_variants_only(api_client: Any) -> None:
    group = ProductFactory()
    small = VariantFactory(parent=group, attributes={"size": "S"}, price=Money("10", "USD"))
    VariantFactory(parent=group, is_active=False)
    body = api_client.get(product_url(group.pk)).json()
    assert [v["id"] for v in body["variants"]] == [small.pk]
    variant = body["variants"][0]
    assert set(variant) == PRODUCT_KEYS - {"variants"}
    assert variant["parent"] == group.pk
    assert variant["attributes"] == {"size": "S"}
    assert variant["price"] == {"amount": "10.00", "currency": "USD"}


def test_group_is_in_stock_when_any_active_variant_is(api_client: Any) -> None:
    group = ProductFactory(stock_quantity=0)
    VariantFactory(parent=group, stock_quantity=0)
    VariantFactory(parent=group, stock_quantity=2)
    assert api_client.get(product_url(group.pk)).json()["in_stock"] is True


def test_group_is_out_of_stock_when_only_inactive_variants_have_stock(api_client: Any) -> None:
    group = ProductFactory(stock_quantity=5)
    VariantFactory(parent=group, stock_quantity=0)
    VariantFactory(parent=group, stock_quantity=9, is_active=False)
    assert api_client.get(product_url(group.pk)).json()["in_stock"] is False


def test_variant_detail_shows_its_parent(api_client: Any) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    body = api_client.get(product_url(variant.pk)).json()
    assert body["parent"] == group.pk and body["variants"] == []


def test_inactive_product_is_not_found(api_client: Any, client_for: Any) -> None:
    product = ProductFactory(is_active=False)
    for client in (api_client, client_for(product.store.owner), client_for(StaffFactory())):
        response = client.get(product_url(product.pk))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_variant_of_an_inactive_group_is_not_found(api_client: Any) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    Product.objects.filter(pk=group.pk).update(is_active=False)
    assert api_client.get(product_url(variant.pk)).status_code == 404


def test_unknown_and_malformed_ids_are_not_found(api_client: Any) -> None:
    assert api_client.get(product_url(987654)).status_code == 404
    assert api_client.get("/api/v1/products/abc/").status_code == 404
    assert api_client.get("/api/v1/products/99999999999999999999999/").status_code == 404


def test_product_of_a_pending_store_is_visible_to_its_owner_and_staff_only(
    api_client: Any,
    client_for: Any,
    pending_store: Store,
    buyer: AbstractBaseUser,
) -> None:
    product = ProductFactory(store=pending_store)
    assert api_client.get(product_url(product.pk)).status_code == 404
    assert client_for(buyer).get(product_url(product.pk)).status_code == 404
    assert client_for(pending_store.owner).get(product_url(product.pk)).status_code == 200
    assert client_for(StaffFactory()).get(product_url(product.pk)).status_code == 200


def test_list_shows_groups_and_standalone_products_not_variants(api_client: Any) -> None:
    standalone = ProductFactory()
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    results = _results(api_client.get(products_url()))
    assert {p["id"] for p in results} == {standalone.pk, group.pk}
    nested = next(p for p in results if p["id"] == group.pk)["variants"]
    assert [v["id"] for v in nested] == [variant.pk]


def test_list_hides_inactive_products_and_stores_that_do_not_sell(
    api_client: Any, client_for: Any
) -> None:
    visible = ProductFactory()
    ProductFactory(is_active=False)
    ProductFactory(store=StoreFactory(is_approved=False))
    ProductFactory(store=StoreFactory(is_active=False))
    results = _results(api_client.get(products_url()))
    assert [p["id"] for p in results] == [visible.pk]
    # The list is the same for staff: it is the public catalog.
    assert [p["id"] for p in _results(client_for(StaffFactory()).get(products_url()))] == [
        visible.pk
    ]


def test_list_default_ordering_is_newest_first(api_client: Any) -> None:
    products = [ProductFactory() for _ in range(3)]
    ids = [p["id"] for p in _results(api_client.get(products_url()))]
    assert ids == [p.pk for p in reversed(products)]


@pytest.mark.parametrize(
    "who", ["anonymous", "buyer", "pending_seller", "seller", "other_seller", "staff"]
)
def test_every_role_reads_the_catalog(
    client_for: Any, request: Any, store: Store, who: str
) -> None:
    if who == "anonymous":
        user = None
    elif who == "staff":
        user = StaffFactory()
    else:
        user = request.getfixturevalue(who)
    client = client_for(user)
    product = ProductFactory(store=store)
    assert client.get(products_url()).status_code == 200
    assert client.get(product_url(product.pk)).status_code == 200
    assert client.get("/api/v1/stores/").status_code == 200
    assert client.get(f"/api/v1/stores/{store.slug}/").status_code == 200
    assert client.get("/api/v1/categories/").status_code == 200
    assert client.get(f"/api/v1/categories/{product.category_id}/").status_code == 200
