"""``cart/merge/``: signed-in clients take over an anonymous cart."""

from __future__ import annotations

import pytest

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from tests.cart.conftest import CART_URL, ITEMS_URL, MERGE_URL
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_merge_anonymous_is_401(api_client, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    response = api_client.post(MERGE_URL, {"token": cart.token}, HTTP_X_CART_TOKEN=cart.token)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.has_header("WWW-Authenticate")
    assert Cart.objects.filter(pk=cart.pk).exists()


def test_anonymous_to_signed_in_flow_keeps_every_line(api_client, client_for, user):
    kettle = ProductFactory(stock_quantity=5)
    mug = ProductFactory(stock_quantity=20)
    token = api_client.post(CART_URL).json()["token"]
    api_client.credentials(HTTP_X_CART_TOKEN=token)
    api_client.post(ITEMS_URL, {"product": kettle.pk, "quantity": 2})
    api_client.post(ITEMS_URL, {"product": mug.pk, "quantity": 4})

    signed_in = client_for(user)
    signed_in.post(ITEMS_URL, {"product": kettle.pk, "quantity": 1})
    response = signed_in.post(MERGE_URL, {"token": token})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == Cart.objects.get(user=user).token
    assert {line["product"]["id"]: line["quantity"] for line in body["items"]} == {
        kettle.pk: 3,
        mug.pk: 4,
    }
    assert body["item_count"] == 7
    assert body["subtotal"] == {"amount": "7000.00", "currency": "AOA"}
    # The anonymous cart is gone.
    assert api_client.get(CART_URL).status_code == 404


def test_merge_unknown_token_is_404(client_for, user):
    response = client_for(user).post(MERGE_URL, {"token": "unknown"})
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"


def test_merge_own_cart_is_400_invalid_merge(client_for, user, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=2)
    response = client_for(user).post(MERGE_URL, {"token": own.token})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_merge"
    assert CartItem.objects.get(cart=own).quantity == 2


def test_merge_other_users_cart_is_404(client_for, user, product):
    theirs = services.get_or_create_user_cart(user=UserFactory())
    services.add_item(cart=theirs, product_id=product.pk, quantity=2)
    response = client_for(user).post(MERGE_URL, {"token": theirs.token})
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"
    assert CartItem.objects.get(cart=theirs).quantity == 2


@pytest.mark.parametrize("payload", [{}, {"token": ""}, {"token": None}, {"token": "x" * 65}])
def test_merge_invalid_body_is_400(client_for, user, payload):
    response = client_for(user).post(MERGE_URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "token" in response.json()["fields"]


def test_merge_drops_unavailable_lines(client_for, user, cart, product):
    gone = ProductFactory()
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    services.add_item(cart=cart, product_id=gone.pk, quantity=1)
    gone.is_active = False
    gone.save()
    body = client_for(user).post(MERGE_URL, {"token": cart.token}).json()
    assert [line["product"]["id"] for line in body["items"]] == [product.pk]
