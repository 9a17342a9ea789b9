"""Session hosts: the anonymous cart remembered in the session is merged at login."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.cart.receivers import merge_session_cart_on_login
from tests.cart.conftest import CART_URL, ITEMS_URL, MERGE_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-secret"  # noqa: S105  (UserFactory's)
SESSION_KEY = "ecommerce_kit_cart_token"


def test_cart_token_is_remembered_in_session(api_client):
    token = api_client.post(CART_URL).json()["token"]
    assert api_client.session[SESSION_KEY] == token


def test_session_remembers_the_cart_last_used(api_client):
    first = api_client.post(CART_URL).json()["token"]
    second = services.create_anonymous_cart()
    api_client.get(CART_URL, HTTP_X_CART_TOKEN=second.token)
    assert api_client.session[SESSION_KEY] == second.token != first


def test_session_login_merges_anonymous_cart(api_client, user, product):
    token = api_client.post(CART_URL).json()["token"]
    api_client.post(ITEMS_URL, {"product": product.pk, "quantity": 3}, HTTP_X_CART_TOKEN=token)
    assert api_client.login(username=user.username, password=PASSWORD)
    assert not Cart.objects.filter(token=token).exists()
    assert CartItem.objects.get(cart__user=user).quantity == 3
    assert SESSION_KEY not in api_client.session
    # The signed-in session now sees the merged cart.
    body = api_client.get(CART_URL).json()
    assert body["items"][0]["quantity"] == 3


def test_session_login_adds_to_existing_user_cart(api_client, user, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=2)
    token = api_client.post(CART_URL).json()["token"]
    api_client.post(ITEMS_URL, {"product": product.pk, "quantity": 3}, HTTP_X_CART_TOKEN=token)
    api_client.force_login(user)
    assert CartItem.objects.get(cart=own).quantity == 5


def test_session_login_without_cart_changes_nothing(api_client, user):
    assert api_client.login(username=user.username, password=PASSWORD)
    assert not Cart.objects.filter(user=user).exists()


def test_session_login_with_vanished_cart_still_logs_in(api_client, user):
    token = api_client.post(CART_URL).json()["token"]
    Cart.objects.filter(token=token).delete()
    assert api_client.login(username=user.username, password=PASSWORD)
    assert SESSION_KEY not in api_client.session
    assert api_client.get(CART_URL).status_code == 200


@override_settings(ECOMMERCE_KIT={"CART_SESSION_KEY": "shop_cart"})
def test_session_key_follows_setting(api_client, user, product):
    token = api_client.post(CART_URL).json()["token"]
    assert api_client.session["shop_cart"] == token
    api_client.post(ITEMS_URL, {"product": product.pk}, HTTP_X_CART_TOKEN=token)
    api_client.force_login(user)
    assert CartItem.objects.filter(cart__user=user).count() == 1


def test_receiver_ignores_requests_without_session(user):
    request = RequestFactory().get("/")
    merge_session_cart_on_login(sender=type(user), request=request, user=user)
    merge_session_cart_on_login(sender=type(user), request=None, user=user)
    assert not Cart.objects.filter(user=user).exists()


def test_receiver_skips_session_token_of_own_cart(api_client, user, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=1)
    session = api_client.session
    session[SESSION_KEY] = own.token
    session.save()
    api_client.force_login(user)
    assert CartItem.objects.get(cart=own).quantity == 1


def test_api_merge_forgets_session_token(api_client, user, product):
    token = api_client.post(CART_URL).json()["token"]
    api_client.post(ITEMS_URL, {"product": product.pk}, HTTP_X_CART_TOKEN=token)
    api_client.force_authenticate(user=UserFactory())
    response = api_client.post(MERGE_URL, {"token": token})
    assert response.status_code == 200
    assert SESSION_KEY not in api_client.session
