"""merge_carts: moving an anonymous cart's lines into a user's cart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.exceptions import CartMergeError, CartNotFoundError
from tests.cart.factories import CartItemFactory
from tests.factories import ProductFactory, StoreFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def lines(cart: Cart) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))


def test_merge_moves_lines_into_empty_user_cart_and_deletes_source(user, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=3)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert result.cart.user_id == user.pk
    assert lines(result.cart) == {product.pk: 3}
    assert result.cart.currency == "AOA"
    assert result.merged == (product.pk,)
    assert result.dropped == ()
    assert not Cart.objects.filter(pk=cart.pk).exists()


def test_merge_creates_user_cart_when_missing(user, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    assert not Cart.objects.filter(user=user).exists()
    services.merge_carts(user=user, source_token=cart.token)
    assert lines(Cart.objects.get(user=user)) == {product.pk: 1}


def test_merge_adds_quantities_of_same_product(user, cart, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=2)
    services.add_item(cart=cart, product_id=product.pk, quantity=3)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {product.pk: 5}
    assert result.cart.pk == own.pk


def test_merge_caps_summed_quantity_by_stock(user, cart):
    product = ProductFactory(stock_quantity=6)
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=4)
    services.add_item(cart=cart, product_id=product.pk, quantity=5)
    services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {product.pk: 6}


def test_merge_caps_new_line_by_stock(user, cart):
    product = ProductFactory(stock_quantity=6)
    services.add_item(cart=cart, product_id=product.pk, quantity=5)
    product.stock_quantity = 2
    product.save()
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(result.cart) == {product.pk: 2}


@override_settings(ECOMMERCE_KIT={"MAX_QUANTITY_PER_LINE": 5})
def test_merge_caps_summed_quantity_by_max_per_line(user, cart):
    product = ProductFactory(stock_quantity=50)
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=4)
    services.add_item(cart=cart, product_id=product.pk, quantity=4)
    services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {product.pk: 5}


def test_merge_never_lowers_existing_line(user, cart):
    product = ProductFactory(stock_quantity=10)
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=8)
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    product.stock_quantity = 3
    product.save()
    services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {product.pk: 8}


def test_merge_drops_out_of_stock_new_line(user, cart):
    product = ProductFactory(stock_quantity=3)
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    product.stock_quantity = 0
    product.save()
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(result.cart) == {}
    assert result.dropped == (product.pk,)
    assert result.cart.currency == ""


def test_merge_drops_unavailable_and_group_lines(user, cart, product):
    inactive = ProductFactory()
    unapproved = ProductFactory(store=StoreFactory())
    became_group = ProductFactory()
    for p in (product, inactive, unapproved, became_group):
        services.add_item(cart=cart, product_id=p.pk, quantity=1)
    inactive.is_active = False
    inactive.save()
    unapproved.store.is_approved = False
    unapproved.store.save()
    VariantFactory(parent=became_group)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(result.cart) == {product.pk: 1}
    assert set(result.dropped) == {inactive.pk, unapproved.pk, became_group.pk}


def test_merge_drops_lines_in_other_currency_than_user_cart(user, cart, usd_product):
    own = services.get_or_create_user_cart(user=user)
    aoa = ProductFactory()
    services.add_item(cart=own, product_id=aoa.pk, quantity=1)
    services.add_item(cart=cart, product_id=usd_product.pk, quantity=2)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {aoa.pk: 1}
    assert result.dropped == (usd_product.pk,)
    assert Cart.objects.get(pk=own.pk).currency == "AOA"
    assert not Cart.objects.filter(pk=cart.pk).exists()


def test_merge_into_empty_user_cart_takes_source_currency(user, cart, usd_product):
    services.get_or_create_user_cart(user=user)
    services.add_item(cart=cart, product_id=usd_product.pk, quantity=2)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert result.cart.currency == "USD"
    assert lines(result.cart) == {usd_product.pk: 2}


def test_merge_drops_line_repriced_in_other_currency(user, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    product.price = Money(Decimal("5.00"), "EUR")
    product.save()
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(result.cart) == {}
    assert result.cart.currency == ""


@override_settings(ECOMMERCE_KIT={"CART_MAX_LINES": 2})
def test_merge_drops_new_lines_beyond_cart_max_lines(user, cart):
    own = services.get_or_create_user_cart(user=user)
    a, b, c = ProductFactory.create_batch(3)
    services.add_item(cart=own, product_id=a.pk, quantity=1)
    services.add_item(cart=cart, product_id=a.pk, quantity=1)
    services.add_item(cart=cart, product_id=b.pk, quantity=1)
    CartItemFactory(cart=cart, product=c)  # beyond the limit already (e.g. the limit was lowered)
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {a.pk: 2, b.pk: 1}
    assert result.dropped == (c.pk,)


def test_merge_of_empty_anonymous_cart_deletes_it(user, cart):
    result = services.merge_carts(user=user, source_token=cart.token)
    assert lines(result.cart) == {}
    assert not Cart.objects.filter(pk=cart.pk).exists()


def test_merge_keeps_user_lines_untouched(user, cart, product):
    own = services.get_or_create_user_cart(user=user)
    other = ProductFactory()
    services.add_item(cart=own, product_id=other.pk, quantity=4)
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    services.merge_carts(user=user, source_token=cart.token)
    assert lines(own) == {other.pk: 4, product.pk: 1}


def test_merge_unknown_token_is_not_found(user):
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=user, source_token="unknown-token")
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=user, source_token="not a token!")


def test_merge_own_cart_into_itself_is_an_error(user, product):
    own = services.get_or_create_user_cart(user=user)
    services.add_item(cart=own, product_id=product.pk, quantity=2)
    with pytest.raises(CartMergeError) as info:
        services.merge_carts(user=user, source_token=own.token)
    assert info.value.code == "invalid_merge"
    assert info.value.status_code == 400
    assert lines(own) == {product.pk: 2}


def test_merge_other_users_cart_is_not_found(user, product):
    stranger = UserFactory()
    theirs = services.get_or_create_user_cart(user=stranger)
    services.add_item(cart=theirs, product_id=product.pk, quantity=2)
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=user, source_token=theirs.token)
    assert lines(theirs) == {product.pk: 2}
    assert Cart.objects.get(pk=theirs.pk).user_id == stranger.pk


def test_merge_twice_is_not_found_the_second_time(user, cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    services.merge_carts(user=user, source_token=cart.token)
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=user, source_token=cart.token)
    assert lines(Cart.objects.get(user=user)) == {product.pk: 1}
