from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from moneyed import Money

from ecommerce_kit.catalog.models import Category, Product, Store
from tests.catalog.helpers import product_url, products_url
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _body(category_: Category, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Camisola",
        "description": "Algodão",
        "price": {"amount": "2500.00", "currency": "AOA"},
        "stock_quantity": 4,
        "category": category_.pk,
    }
    body.update(overrides)
    return body


def _assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["status_code"] == status
    assert isinstance(body["error"], str) and body["error"]
    return body


# --- POST products/ ---------------------------------------------------------------------------


def test_create_product_anonymous_is_401(api_client: Any, category: Category) -> None:
    _assert_error(api_client.post(products_url(), _body(category)), 401, "not_authenticated")
    assert not Product.objects.exists()


def test_create_product_without_store_is_403_no_store(
    client_for: Any, buyer: AbstractBaseUser, category: Category
) -> None:
    _assert_error(client_for(buyer).post(products_url(), _body(category)), 403, "no_store")


def test_create_product_with_pending_store_is_403_store_not_approved(
    client_for: Any,
    pending_seller: AbstractBaseUser,
    category: Category,
) -> None:
    response = client_for(pending_seller).post(products_url(), _body(category))
    _assert_error(response, 403, "store_not_approved")
    assert not Product.objects.exists()


def test_create_product_authorization_comes_before_validation(
    client_for: Any, buyer: AbstractBaseUser
) -> None:
    _assert_error(client_for(buyer).post(products_url(), {}), 403, "no_store")


def test_create_product_with_approved_store_is_201(
    client_for: Any, seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    response = client_for(seller).post(products_url(), _body(category))
    assert response.status_code == 201, response.json()
    body = response.json()
    product = Product.objects.get()
    assert body["id"] == product.pk and body["slug"] == "camisola"
    assert body["store"]["id"] == store.pk and body["category"]["id"] == category.pk
    assert body["price"] == {"amount": "2500.00", "currency": "AOA"}
    assert body["stock_quantity"] == 4 and body["in_stock"] is True
    assert body["parent"] is None and body["variants"] == [] and body["attributes"] == {}


def test_create_product_by_staff_without_store_is_403_no_store(
    client_for: Any, category: Category
) -> None:
    _assert_error(client_for(StaffFactory()).post(products_url(), _body(category)), 403, "no_store")


def test_create_variant_of_own_group(
    client_for: Any, seller: AbstractBaseUser, store: Store
) -> None:
    group = ProductFactory(store=store)
    response = client_for(seller).post(
        products_url(),
        {
            "name": "Camisola M",
            "price": {"amount": "2600", "currency": "AOA"},
            "stock_quantity": 2,
            "parent": group.pk,
            "attributes": {"size": "M"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["parent"] == group.pk and body["category"]["id"] == group.category_id
    assert body["attributes"] == {"size": "M"}
    group_body = client_for(None).get(product_url(group.pk)).json()
    assert [v["id"] for v in group_body["variants"]] == [body["id"]]


@pytest.mark.parametrize("case", ["other_store", "variant", "deleted", "missing"])
def test_create_variant_with_a_bad_parent_is_400(
    client_for: Any, seller: AbstractBaseUser, store: Store, case: str
) -> None:
    parent_id = {
        "other_store": lambda: ProductFactory().pk,
        "variant": lambda: VariantFactory(parent=ProductFactory(store=store)).pk,
        "deleted": lambda: ProductFactory(store=store, is_active=False).pk,
        "missing": lambda: 424242,
    }[case]()
    before = Product.objects.count()
    response = client_for(seller).post(
        products_url(),
        {
            "name": "V",
            "price": {"amount": "1", "currency": "AOA"},
            "parent": parent_id,
        },
    )
    body = _assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["parent"]
    assert Product.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": None}, "name"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"stock_quantity": 1.5}, "stock_quantity"),
        ({"stock_quantity": "many"}, "stock_quantity"),
        ({"stock_quantity": 2**31}, "stock_quantity"),
        ({"category": None}, "category"),
        ({"category": 999999}, "category"),
        ({"category": "roupa"}, "category"),
        ({"attributes": ["size", "M"]}, "attributes"),
        ({"attributes": {"size": ["M"]}}, "attributes"),
        ({"attributes": {"size": None}}, "attributes"),
        ({"attributes": {"size": {"eu": 40}}}, "attributes"),
        ({"attributes": {"": "x"}}, "attributes"),
        ({"attributes": {"k": "v" * 201}}, "attributes"),
        ({"attributes": {f"k{n}": n for n in range(51)}}, "attributes"),
        ({"parent": "abc"}, "parent"),
        ({"parent": 0}, "parent"),
    ],
)
def test_create_product_bad_input_is_400(
    client_for: Any,
    seller: AbstractBaseUser,
    category: Category,
    payload: dict[str, Any],
    field: str,
) -> None:
    body = _assert_error(
        client_for(seller).post(products_url(), _body(category, **payload)), 400, "invalid"
    )
    assert field in body["fields"]
    assert not Product.objects.exists()


def test_create_product_without_category_or_parent_is_400(
    client_for: Any, seller: AbstractBaseUser, category: Category
) -> None:
    payload = _body(category)
    del payload["category"]
    body = _assert_error(client_for(seller).post(products_url(), payload), 400, "invalid")
    assert body["fields"] == {"category": ["This field is required."]}


def test_create_product_in_an_inactive_category_is_400(
    client_for: Any, seller: AbstractBaseUser
) -> None:
    hidden = CategoryFactory(is_active=False)
    body = _assert_error(client_for(seller).post(products_url(), _body(hidden)), 400, "invalid")
    assert "category" in body["fields"]


@pytest.mark.parametrize(
    "price",
    [
        {"amount": 12.5, "currency": "AOA"},  # float
        {"amount": "12.50", "currency": "XYZ"},  # unknown currency
        {"amount": "12.50", "currency": "GBP"},  # real, but not in CURRENCIES
        {"amount": "12.50", "currency": "aoa"},
        {"amount": "-1.00", "currency": "AOA"},  # negative
        {"amount": "0.00", "currency": "AOA"},  # a price must be positive
        {"amount": "12.505", "currency": "AOA"},  # too many decimals
        {"amount": "1e400", "currency": "AOA"},
        {"amount": "NaN", "currency": "AOA"},
        {"amount": "Infinity", "currency": "AOA"},
        {"amount": "abc", "currency": "AOA"},
        {"amount": "", "currency": "AOA"},
        {"amount": True, "currency": "AOA"},
        {"amount": "1000000000000000.00", "currency": "AOA"},
        {"amount": "12.50"},  # missing keys
        {"currency": "AOA"},
        {"amount": "12.50", "currency": "AOA", "extra": 1},
        "12.50",
        12,
        None,
        [],
    ],
)
def test_create_product_bad_money_is_400(
    client_for: Any, seller: AbstractBaseUser, category: Category, price: Any
) -> None:
    body = _assert_error(
        client_for(seller).post(products_url(), _body(category, price=price)), 400, "invalid"
    )
    assert list(body["fields"]) == ["price"]
    assert not Product.objects.exists()


def test_create_product_accepts_an_integer_amount(
    client_for: Any, seller: AbstractBaseUser, category: Category
) -> None:
    response = client_for(seller).post(
        products_url(), _body(category, price={"amount": 1250, "currency": "USD"})
    )
    assert response.status_code == 201
    assert response.json()["price"] == {"amount": "1250.00", "currency": "USD"}


def test_create_product_with_malformed_json_is_400(
    client_for: Any, seller: AbstractBaseUser
) -> None:
    response = client_for(seller).post(
        products_url(), data="{nope", content_type="application/json"
    )
    _assert_error(response, 400, "parse_error")


# --- PATCH products/{id}/ ---------------------------------------------------------------------


@pytest.fixture
def product(store: Store) -> Product:
    return ProductFactory(store=store, name="Caneca", slug="caneca")


def test_patch_product_anonymous_is_401(api_client: Any, product: Product) -> None:
    response = api_client.patch(product_url(product.pk), {"stock_quantity": 0})
    _assert_error(response, 401, "not_authenticated")


def test_patch_product_by_buyer_is_403(
    client_for: Any, buyer: AbstractBaseUser, product: Product
) -> None:
    response = client_for(buyer).patch(product_url(product.pk), {"stock_quantity": 0})
    _assert_error(response, 403, "permission_denied")


def test_patch_product_by_pending_seller_is_403(
    client_for: Any, pending_seller: AbstractBaseUser, product: Product
) -> None:
    response = client_for(pending_seller).patch(product_url(product.pk), {"stock_quantity": 0})
    _assert_error(response, 403, "permission_denied")


def test_patch_product_by_another_stores_seller_is_403(
    client_for: Any, other_seller: AbstractBaseUser, product: Product
) -> None:
    response = client_for(other_seller).patch(product_url(product.pk), {"name": "Mine"})
    _assert_error(response, 403, "permission_denied")
    product.refresh_from_db()
    assert product.name == "Caneca"


def test_patch_product_permission_comes_before_validation(
    client_for: Any, other_seller: AbstractBaseUser, product: Product
) -> None:
    response = client_for(other_seller).patch(product_url(product.pk), {"stock_quantity": -5})
    _assert_error(response, 403, "permission_denied")


def test_patch_product_by_owner_is_200(
    client_for: Any, seller: AbstractBaseUser, product: Product
) -> None:
    new_category = CategoryFactory()
    response = client_for(seller).patch(
        product_url(product.pk),
        {
            "name": "Caneca grande",
            "description": "Meio litro",
            "price": {"amount": "1500.00", "currency": "EUR"},
            "stock_quantity": 0,
            "category": new_category.pk,
            "attributes": {"litros": 0.5},
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Caneca grande" and body["slug"] == "caneca"
    assert body["description"] == "Meio litro"
    assert body["price"] == {"amount": "1500.00", "currency": "EUR"}
    assert body["stock_quantity"] == 0 and body["in_stock"] is False
    assert body["category"]["id"] == new_category.pk
    assert body["attributes"] == {"litros": 0.5}
    product.refresh_from_db()
    assert product.price == Money("1500.00", "EUR")


def test_patch_product_by_staff_is_200(client_for: Any, product: Product) -> None:
    response = client_for(StaffFactory()).patch(product_url(product.pk), {"stock_quantity": 7})
    assert response.status_code == 200
    assert response.json()["stock_quantity"] == 7


def test_patch_product_ignores_read_only_fields(
    client_for: Any, seller: AbstractBaseUser, product: Product
) -> None:
    response = client_for(seller).patch(
        product_url(product.pk),
        {
            "slug": "hijack",
            "is_active": False,
            "id": 1,
            "store": 99,
            "in_stock": False,
        },
    )
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.slug == "caneca" and product.is_active


def test_patch_product_cannot_change_parent(
    client_for: Any, seller: AbstractBaseUser, store: Store, product: Product
) -> None:
    group = ProductFactory(store=store)
    body = _assert_error(
        client_for(seller).patch(product_url(product.pk), {"parent": group.pk}), 400, "invalid"
    )
    assert list(body["fields"]) == ["parent"]
    product.refresh_from_db()
    assert product.parent_id is None
    # Sending the current value back is harmless.
    assert client_for(seller).patch(product_url(product.pk), {"parent": None}).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"price": {"amount": "-3", "currency": "AOA"}}, "price"),
        ({"price": {"amount": 3.5, "currency": "AOA"}}, "price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"category": 999999}, "category"),
        ({"attributes": "big"}, "attributes"),
    ],
)
def test_patch_product_bad_input_is_400(
    client_for: Any, seller: AbstractBaseUser, product: Product, payload: dict[str, Any], field: str
) -> None:
    body = _assert_error(client_for(seller).patch(product_url(product.pk), payload), 400, "invalid")
    assert list(body["fields"]) == [field]
    product.refresh_from_db()
    assert product.name == "Caneca" and product.stock_quantity == 10


def test_patch_inactive_product_is_404(
    client_for: Any, seller: AbstractBaseUser, store: Store
) -> None:
    product = ProductFactory(store=store, is_active=False)
    for user in (seller, StaffFactory()):
        response = client_for(user).patch(product_url(product.pk), {"stock_quantity": 1})
        _assert_error(response, 404, "not_found")


def test_put_product_is_not_allowed(
    client_for: Any, seller: AbstractBaseUser, product: Product
) -> None:
    _assert_error(client_for(seller).put(product_url(product.pk), {}), 405, "method_not_allowed")


# --- DELETE products/{id}/ --------------------------------------------------------------------


def test_delete_product_anonymous_is_401(api_client: Any, product: Product) -> None:
    _assert_error(api_client.delete(product_url(product.pk)), 401, "not_authenticated")
    product.refresh_from_db()
    assert product.is_active


@pytest.mark.parametrize("who", ["buyer", "pending_seller", "other_seller"])
def test_delete_product_by_someone_else_is_403(
    client_for: Any, request: Any, product: Product, who: str
) -> None:
    response = client_for(request.getfixturevalue(who)).delete(product_url(product.pk))
    _assert_error(response, 403, "permission_denied")
    product.refresh_from_db()
    assert product.is_active


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_delete_product_is_204_and_soft(
    client_for: Any, seller: AbstractBaseUser, product: Product, who: str
) -> None:
    user = seller if who == "owner" else StaffFactory()
    response = client_for(user).delete(product_url(product.pk))
    assert response.status_code == 204 and response.content == b""
    product.refresh_from_db()
    assert not product.is_active
    assert client_for(None).get(product_url(product.pk)).status_code == 404
    assert client_for(user).delete(product_url(product.pk)).status_code == 404


def test_delete_group_removes_its_variants_from_the_catalog(
    client_for: Any, seller: AbstractBaseUser, store: Store
) -> None:
    group = ProductFactory(store=store)
    variant = VariantFactory(parent=group)
    assert client_for(seller).delete(product_url(group.pk)).status_code == 204
    variant.refresh_from_db()
    assert not variant.is_active
    assert client_for(None).get(product_url(variant.pk)).status_code == 404


@pytest.mark.parametrize(
    "attributes",
    [{"size": "M\u0000"}, {"si\u0000ze": "M"}],
    ids=["in a value", "in a name"],
)
def test_product_attributes_with_a_null_character_are_400(
    client_for: Any, seller: AbstractBaseUser, category: Category, attributes: dict[str, Any]
) -> None:
    # PostgreSQL's jsonb cannot hold \u0000: it answered 500 DataError.
    client = client_for(seller)
    body = _assert_error(
        client.post(products_url(), _body(category, attributes=attributes), format="json"),
        400,
        "invalid",
    )
    assert "attributes" in body["fields"]
    assert not Product.objects.exists()

    product = ProductFactory(store=Store.objects.get(owner=seller))
    body = _assert_error(
        client.patch(product_url(product.pk), {"attributes": attributes}, format="json"),
        400,
        "invalid",
    )
    assert "attributes" in body["fields"]
    product.refresh_from_db()
    assert product.attributes == {}
