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


@TWO_PER_MINUTE
def test_anonymous_clients_cannot_escape_the_limit_with_x_forwarded_for(client_for, product):
    # DRF identifies a client by the X-Forwarded-For header the client itself sends, unless
    # NUM_PROXIES is set: a new value per request escaped the limit.
    client = client_for(None)
    statuses = [
        client.post(CART_URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_behind_trusted_proxies_the_forwarded_client_address_is_throttled(
    client_for, product, settings
):
    # Both through the settings fixture: mixed with an override_settings decorator, its
    # teardown would bring the decorator's override back.
    settings.ECOMMERCE_KIT = {"THROTTLE_RATES": {"ecommerce_kit.cart": "2/min"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = client_for(None)
    # One proxy in front: the last X-Forwarded-For entry is the client; the rest is spoofable.
    first = [
        client.post(CART_URL, HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7").status_code
        for i in range(3)
    ]
    other = client.post(CART_URL, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code
    assert first == [201, 201, 429]
    assert other == 201
