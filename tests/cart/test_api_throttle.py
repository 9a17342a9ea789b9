"""Cart writes are throttled per user, or per IP address for anonymous clients."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.cart.conftest import CART_URL, ITEMS_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TWO_PER_MINUTE = override_settings(
    ECOMMERCE_KIT={"THROTTLE_RATES": {"ecommerce_kit.cart": "2/min"}}
)


@TWO_PER_MINUTE
def test_anonymous_writes_are_throttled_per_ip(client_for, cart, product):
    client = client_for(None)
    client.credentials(HTTP_X_CART_TOKEN=cart.token)
    assert client.post(ITEMS_URL, {"product": product.pk}).status_code == 201
    assert client.post(ITEMS_URL, {"product": product.pk}).status_code == 201
    response = client.post(ITEMS_URL, {"product": product.pk})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Reads are not throttled.
    assert client.get(CART_URL).status_code == 200
    # Another address has its own allowance.
    assert client.post(CART_URL, REMOTE_ADDR="10.0.0.9").status_code == 201


@TWO_PER_MINUTE
def test_signed_in_writes_are_throttled_per_user(client_for, user, product):
    client = client_for(user)
    assert client.post(ITEMS_URL, {"product": product.pk}).status_code == 201
    assert client.delete(CART_URL).status_code == 204
    assert client.post(CART_URL).status_code == 429
    assert client_for(UserFactory()).post(CART_URL).status_code == 200
