"""Creating and finding carts: user carts, anonymous carts and tokens."""

from __future__ import annotations

import pytest

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart
from ecommerce_kit.exceptions import CartNotFoundError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_get_or_create_user_cart_creates_once(user):
    first = services.get_or_create_user_cart(user=user)
    second = services.get_or_create_user_cart(user=user)
    assert first.pk == second.pk
    assert first.user_id == user.pk
    assert Cart.objects.filter(user=user).count() == 1


def test_create_anonymous_cart_has_long_random_token():
    first = services.create_anonymous_cart()
    second = services.create_anonymous_cart()
    assert first.user_id is None
    assert first.token != second.token
    assert len(first.token) >= 32  # 192 bits in URL-safe base64
    assert services.TOKEN_RE.match(first.token)


def test_get_cart_by_token_finds_anonymous_cart(cart):
    assert services.get_cart_by_token(token=cart.token).pk == cart.pk


@pytest.mark.parametrize("token", ["", "nope", "x" * 65, "abc def", "a\x00b", None, 42])
def test_get_cart_by_token_unknown_or_malformed_is_not_found(cart, token):
    with pytest.raises(CartNotFoundError) as info:
        services.get_cart_by_token(token=token)
    assert info.value.code == "cart_not_found"
    assert info.value.status_code == 404


def test_get_cart_by_token_of_user_cart_is_not_found_for_others(user):
    owned = services.get_or_create_user_cart(user=user)
    with pytest.raises(CartNotFoundError):
        services.get_cart_by_token(token=owned.token)
    with pytest.raises(CartNotFoundError):
        services.get_cart_by_token(token=owned.token, user=UserFactory())
    assert services.get_cart_by_token(token=owned.token, user=user).pk == owned.pk
