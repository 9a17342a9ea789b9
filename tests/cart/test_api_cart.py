"""``cart/``: create, read and empty; which cart a request works on."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import reverse

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from tests.cart.conftest import CART_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_urls_are_namespaced():
    assert reverse("ecommerce_kit:cart-detail") == CART_URL
    assert reverse("ecommerce_kit:cart-items") == "/api/v1/cart/items/"
    assert reverse("ecommerce_kit:cart-item-detail", args=[3]) == "/api/v1/cart/items/3/"
    assert reverse("ecommerce_kit:cart-merge") == "/api/v1/cart/merge/"


def test_post_cart_anonymous_creates_new_cart(api_client):
    response = api_client.post(CART_URL)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "currency", "items", "item_count", "subtotal", "updated_at"}
    assert body["currency"] is None
    assert body["items"] == []
    assert body["item_count"] == 0
    assert body["subtotal"] is None
    assert datetime.fromisoformat(body["updated_at"]).tzinfo is not None
    cart = Cart.objects.get(token=body["token"])
    assert cart.user_id is None
    assert api_client.post(CART_URL).json()["token"] != body["token"]


def test_post_cart_authenticated_returns_own_cart(client_for, user):
    client = client_for(user)
    first = client.post(CART_URL)
    second = client.post(CART_URL)
    assert first.status_code == 200
    assert second.status_code == 200
    assert first.json()["token"] == second.json()["token"] == Cart.objects.get(user=user).token


def test_get_cart_with_token(api_client, cart):
    response = api_client.get(CART_URL, HTTP_X_CART_TOKEN=cart.token)
    assert response.status_code == 200
    assert response.json()["token"] == cart.token


def test_get_cart_without_token_is_cart_not_found(api_client, cart):
    response = api_client.get(CART_URL)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "cart_not_found"
    assert body["status_code"] == 404
    assert "X-Cart-Token" in body["error"]


@pytest.mark.parametrize("token", ["unknown", "x" * 200, "not a token"])
def test_get_cart_unknown_token_is_cart_not_found(api_client, cart, token):
    response = api_client.get(CART_URL, HTTP_X_CART_TOKEN=token)
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"


def test_get_cart_with_token_of_user_cart_is_cart_not_found(api_client, user):
    owned = services.get_or_create_user_cart(user=user)
    response = api_client.get(CART_URL, HTTP_X_CART_TOKEN=owned.token)
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"


def test_authenticated_ignores_cart_token(client_for, user, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    response = client_for(user).get(CART_URL, HTTP_X_CART_TOKEN=cart.token)
    assert response.status_code == 200
    assert response.json()["token"] == Cart.objects.get(user=user).token
    assert response.json()["items"] == []


def test_authenticated_never_sees_other_users_cart(client_for, user, product):
    stranger = UserFactory()
    theirs = services.get_or_create_user_cart(user=stranger)
    services.add_item(cart=theirs, product_id=product.pk, quantity=1)
    response = client_for(user).get(CART_URL, HTTP_X_CART_TOKEN=theirs.token)
    assert response.json()["token"] != theirs.token
    assert response.json()["items"] == []


def test_delete_cart_empties_it(api_client, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    response = api_client.delete(CART_URL, HTTP_X_CART_TOKEN=cart.token)
    assert response.status_code == 204
    assert response.content == b""
    assert not CartItem.objects.filter(cart=cart).exists()
    body = api_client.get(CART_URL, HTTP_X_CART_TOKEN=cart.token).json()
    assert body["items"] == []
    assert body["currency"] is None


def test_delete_cart_authenticated_empties_own_cart(client_for, user, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=2)
    assert client_for(user).delete(CART_URL).status_code == 204
    assert not CartItem.objects.filter(cart=own).exists()


def test_delete_cart_unknown_token_is_cart_not_found(api_client):
    response = api_client.delete(CART_URL, HTTP_X_CART_TOKEN="unknown")
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"


def test_put_cart_is_method_not_allowed(api_client, cart):
    response = api_client.put(CART_URL, {}, HTTP_X_CART_TOKEN=cart.token)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
