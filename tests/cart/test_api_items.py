"""``cart/items/`` and ``cart/items/{id}/``: the rules of API.md, each with nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import CartItem
from tests.cart.conftest import CART_URL, ITEMS_URL, item_url
from tests.factories import ProductFactory, StoreFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon(api_client, cart):  # noqa: ANN001, ANN201
    """An anonymous client that sends the cart's token on every request."""
    api_client.credentials(HTTP_X_CART_TOKEN=cart.token)
    return api_client


def snapshot(client) -> dict:  # noqa: ANN001
    body = client.get(CART_URL).json()
    body.pop("updated_at")
    return body


def test_add_item_returns_201_and_serialized_cart(anon, cart):
    product = ProductFactory(name="Kettle", slug="kettle", price=Money(Decimal("1250.00"), "AOA"))
    response = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2})
    assert response.status_code == 201
    body = response.json()
    item = CartItem.objects.get(cart=cart)
    assert body["token"] == cart.token
    assert body["currency"] == "AOA"
    assert body["items"] == [
        {
            "id": item.pk,
            "product": {"id": product.pk, "name": "Kettle", "slug": "kettle"},
            "quantity": 2,
            "unit_price": {"amount": "1250.00", "currency": "AOA"},
            "line_total": {"amount": "2500.00", "currency": "AOA"},
            "available": True,
        }
    ]
    assert body["item_count"] == 2
    assert body["subtotal"] == {"amount": "2500.00", "currency": "AOA"}


def test_add_item_twice_adds_to_quantity(anon, product):
    anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2})
    body = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 3}).json()
    assert len(body["items"]) == 1
    assert body["items"][0]["quantity"] == 5


def test_add_item_quantity_defaults_to_one(anon, product):
    body = anon.post(ITEMS_URL, {"product": product.pk}).json()
    assert body["items"][0]["quantity"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 100}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"product": "abc"}, "product"),
        ({"product": None}, "product"),
    ],
)
def test_add_item_invalid_body_is_400_invalid(anon, product, payload, field):
    before = snapshot(anon)
    body = {"product": product.pk, "quantity": 1, **payload}
    response = anon.post(ITEMS_URL, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert field in data["fields"]
    assert snapshot(anon) == before


def test_add_item_missing_product_is_400_invalid(anon):
    response = anon.post(ITEMS_URL, {"quantity": 1})
    assert response.status_code == 400
    assert response.json()["fields"]["product"]


def test_add_item_quantity_error_message_names_the_bound(anon, product):
    response = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 0})
    assert response.json()["fields"] == {
        "quantity": ["Ensure this value is greater than or equal to 1."]
    }


@override_settings(ECOMMERCE_KIT={"MAX_QUANTITY_PER_LINE": 3})
def test_add_item_bound_follows_setting(anon, product):
    assert anon.post(ITEMS_URL, {"product": product.pk, "quantity": 3}).status_code == 201
    response = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 4})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "quantity": ["Ensure this value is less than or equal to 3."]
    }
    # The sum of both adds is bounded too.
    response = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "quantity" in response.json()["fields"]


@pytest.mark.parametrize("product_id", [999_999, 2**63, 10**40, 0, -4])
def test_add_item_unknown_product_is_product_unavailable(anon, product_id):
    before = snapshot(anon)
    response = anon.post(ITEMS_URL, {"product": product_id, "quantity": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "product_unavailable"
    assert snapshot(anon) == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProductFactory(is_active=False),
        lambda: ProductFactory(store=StoreFactory(is_approved=False, approved_at=None)),
        lambda: ProductFactory(store=StoreFactory(is_active=False)),
        lambda: VariantFactory(parent=ProductFactory(is_active=False)),
    ],
    ids=["inactive", "store-unapproved", "store-inactive", "variant-of-inactive-group"],
)
def test_add_item_unavailable_product_is_400(anon, make):
    response = anon.post(ITEMS_URL, {"product": make().pk, "quantity": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "product_unavailable"


def test_add_item_group_is_product_not_purchasable(anon):
    group = ProductFactory()
    VariantFactory(parent=group)
    response = anon.post(ITEMS_URL, {"product": group.pk, "quantity": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "product_not_purchasable"


def test_add_item_more_than_stock_is_409_with_available(anon):
    product = ProductFactory(stock_quantity=3)
    anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2})
    before = snapshot(anon)
    response = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["available"] == 3
    assert body["status_code"] == 409
    assert snapshot(anon) == before


def test_add_item_other_currency_is_409_currency_mismatch(anon, product, usd_product):
    anon.post(ITEMS_URL, {"product": product.pk, "quantity": 1})
    before = snapshot(anon)
    response = anon.post(ITEMS_URL, {"product": usd_product.pk, "quantity": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "currency_mismatch"
    assert snapshot(anon) == before


@override_settings(ECOMMERCE_KIT={"CART_MAX_LINES": 1})
def test_add_item_beyond_max_lines_is_409_cart_full(anon, product):
    anon.post(ITEMS_URL, {"product": product.pk, "quantity": 1})
    response = anon.post(ITEMS_URL, {"product": ProductFactory().pk, "quantity": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "cart_full"


def test_add_item_without_token_is_cart_not_found(api_client, product):
    response = api_client.post(ITEMS_URL, {"product": product.pk, "quantity": 1})
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"
    assert not CartItem.objects.exists()


def test_add_item_with_token_of_user_cart_is_cart_not_found(api_client, user, product):
    owned = services.get_or_create_user_cart(user=user)
    response = api_client.post(
        ITEMS_URL, {"product": product.pk, "quantity": 1}, HTTP_X_CART_TOKEN=owned.token
    )
    assert response.status_code == 404
    assert not CartItem.objects.filter(cart=owned).exists()


def test_add_item_authenticated_goes_to_own_cart(client_for, user, product):
    response = client_for(user).post(ITEMS_URL, {"product": product.pk, "quantity": 2})
    assert response.status_code == 201
    assert CartItem.objects.get(cart__user=user).quantity == 2


def test_patch_item_sets_quantity(anon, product):
    item_id = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2}).json()["items"][0]["id"]
    response = anon.patch(item_url(item_id), {"quantity": 7})
    assert response.status_code == 200
    assert response.json()["items"][0]["quantity"] == 7
    assert response.json()["subtotal"] == {"amount": "7000.00", "currency": "AOA"}


@pytest.mark.parametrize("quantity", [0, 100, "x", None])
def test_patch_item_invalid_quantity_is_400(anon, product, quantity):
    item_id = anon.post(ITEMS_URL, {"product": product.pk, "quantity": 2}).json()["items"][0]["id"]
    response = anon.patch(item_url(item_id), {"quantity": quantity}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert CartItem.objects.get(pk=item_id).quantity == 2


def test_patch_item_without_quantity_is_400(anon, product):
    item_id = anon.post(ITEMS_URL, {"product": product.pk}).json()["items"][0]["id"]
    response = anon.patch(item_url(item_id), {})
    assert response.status_code == 400
    assert "quantity" in response.json()["fields"]


def test_patch_item_more_than_stock_is_409(anon):
    product = ProductFactory(stock_quantity=4)
    item_id = anon.post(ITEMS_URL, {"product": product.pk}).json()["items"][0]["id"]
    response = anon.patch(item_url(item_id), {"quantity": 5})
    assert response.status_code == 409
    assert response.json()["available"] == 4


def test_patch_item_of_other_cart_is_404(anon, api_client, product):
    other = services.create_anonymous_cart()
    services.add_item(cart=other, product_id=product.pk, quantity=1)
    item = CartItem.objects.get(cart=other)
    response = anon.patch(item_url(item.pk), {"quantity": 3})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert CartItem.objects.get(pk=item.pk).quantity == 1


def test_patch_item_of_other_users_cart_is_404(client_for, user, product):
    theirs = services.get_or_create_user_cart(user=UserFactory())
    services.add_item(cart=theirs, product_id=product.pk, quantity=1)
    item = CartItem.objects.get(cart=theirs)
    response = client_for(user).patch(item_url(item.pk), {"quantity": 3})
    assert response.status_code == 404
    assert client_for(user).delete(item_url(item.pk)).status_code == 404
    assert CartItem.objects.get(pk=item.pk).quantity == 1


def test_item_with_huge_id_is_404(anon):
    assert anon.patch(item_url(10**30), {"quantity": 1}).status_code == 404
    assert anon.delete(item_url(2**63)).status_code == 404


def test_delete_item_returns_200_cart(anon, product):
    other = ProductFactory()
    anon.post(ITEMS_URL, {"product": product.pk})
    item_id = anon.post(ITEMS_URL, {"product": other.pk}).json()["items"][1]["id"]
    response = anon.delete(item_url(item_id))
    assert response.status_code == 200
    assert [line["product"]["id"] for line in response.json()["items"]] == [product.pk]


def test_delete_last_item_resets_currency(anon, product, usd_product):
    item_id = anon.post(ITEMS_URL, {"product": product.pk}).json()["items"][0]["id"]
    body = anon.delete(item_url(item_id)).json()
    assert body["currency"] is None
    assert body["subtotal"] is None
    assert anon.post(ITEMS_URL, {"product": usd_product.pk}).status_code == 201


def test_delete_item_of_other_cart_is_404(anon, product):
    other = services.create_anonymous_cart()
    services.add_item(cart=other, product_id=product.pk, quantity=1)
    item = CartItem.objects.get(cart=other)
    assert anon.delete(item_url(item.pk)).status_code == 404
    assert CartItem.objects.filter(pk=item.pk).exists()


def test_unavailable_line_is_shown_and_left_out_of_totals(anon, product):
    gone = ProductFactory(price=Money(Decimal("5.00"), "AOA"))
    anon.post(ITEMS_URL, {"product": product.pk, "quantity": 1})
    anon.post(ITEMS_URL, {"product": gone.pk, "quantity": 4})
    gone.is_active = False
    gone.save()
    body = anon.get(CART_URL).json()
    lines = {line["product"]["id"]: line for line in body["items"]}
    assert lines[gone.pk]["available"] is False
    assert lines[gone.pk]["quantity"] == 4
    assert lines[gone.pk]["line_total"] == {"amount": "20.00", "currency": "AOA"}
    assert lines[product.pk]["available"] is True
    assert body["item_count"] == 1
    assert body["subtotal"] == {"amount": "1000.00", "currency": "AOA"}
    # It can still be removed, but no longer changed.
    assert anon.patch(item_url(lines[gone.pk]["id"]), {"quantity": 1}).json()["code"] == (
        "product_unavailable"
    )
    assert anon.delete(item_url(lines[gone.pk]["id"])).status_code == 200
