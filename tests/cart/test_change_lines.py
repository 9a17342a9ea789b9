"""set_item_quantity, remove_item and clear_cart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.exceptions import (
    CartItemNotFoundError,
    CurrencyMismatchError,
    InsufficientStockError,
    InvalidInputError,
    ProductNotPurchasableError,
    ProductUnavailableError,
)
from tests.cart.factories import CartItemFactory
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def lines(cart: Cart) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))


@pytest.fixture
def item(cart, product):  # noqa: ANN001, ANN201
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    return CartItem.objects.get(cart=cart, product=product)


def test_set_item_quantity_replaces_quantity(cart, item):
    services.set_item_quantity(cart=cart, item_id=item.pk, quantity=7)
    assert lines(cart) == {item.product_id: 7}


@pytest.mark.parametrize("quantity", [0, -3, 100, True, "3"])
def test_set_item_quantity_rejects_out_of_bounds(cart, item, quantity):
    with pytest.raises(InvalidInputError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=quantity)
    assert lines(cart) == {item.product_id: 2}


def test_set_item_quantity_rejects_more_than_stock(cart, item):
    with pytest.raises(InsufficientStockError) as info:
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=11)
    assert info.value.extra == {"available": 10}
    assert lines(cart) == {item.product_id: 2}


def test_set_item_quantity_may_lower_line_above_fallen_stock(cart, item):
    Product.objects.filter(pk=item.product_id).update(stock_quantity=1)
    with pytest.raises(InsufficientStockError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=2)
    services.set_item_quantity(cart=cart, item_id=item.pk, quantity=1)
    assert lines(cart) == {item.product_id: 1}


def test_set_item_quantity_of_other_cart_item_is_not_found(cart, item):
    other = services.create_anonymous_cart()
    with pytest.raises(CartItemNotFoundError) as info:
        services.set_item_quantity(cart=other, item_id=item.pk, quantity=1)
    assert info.value.status_code == 404
    assert lines(cart) == {item.product_id: 2}


@pytest.mark.parametrize("item_id", [0, -1, 2**63, 10**30, "1"])
def test_set_item_quantity_of_impossible_id_is_not_found(cart, item_id):
    with pytest.raises(CartItemNotFoundError):
        services.set_item_quantity(cart=cart, item_id=item_id, quantity=1)


def test_set_item_quantity_refuses_unavailable_product(cart, item):
    item.product.is_active = False
    item.product.save()
    with pytest.raises(ProductUnavailableError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=1)
    assert lines(cart) == {item.product_id: 2}


def test_set_item_quantity_refuses_product_that_became_group(cart, item):
    VariantFactory(parent=item.product)
    with pytest.raises(ProductNotPurchasableError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=1)


def test_set_item_quantity_refuses_product_repriced_in_other_currency(cart, item):
    item.product.price = Money(Decimal("5.00"), "USD")
    item.product.save()
    with pytest.raises(CurrencyMismatchError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=1)


def test_remove_item_deletes_line(cart, item, usd_product):
    other = ProductFactory()
    services.add_item(cart=cart, product_id=other.pk, quantity=1)
    services.remove_item(cart=cart, item_id=item.pk)
    assert lines(cart) == {other.pk: 1}
    assert Cart.objects.get(pk=cart.pk).currency == "AOA"


def test_remove_last_item_resets_currency(cart, item, usd_product):
    services.remove_item(cart=cart, item_id=item.pk)
    assert lines(cart) == {}
    assert Cart.objects.get(pk=cart.pk).currency == ""
    assert cart.currency == ""
    # The empty cart now takes any currency.
    services.add_item(cart=cart, product_id=usd_product.pk, quantity=1)
    assert Cart.objects.get(pk=cart.pk).currency == "USD"


def test_remove_item_of_other_cart_is_not_found(cart, item):
    other = services.create_anonymous_cart()
    with pytest.raises(CartItemNotFoundError):
        services.remove_item(cart=other, item_id=item.pk)
    assert lines(cart) == {item.product_id: 2}


def test_remove_item_twice_is_not_found(cart, item):
    services.remove_item(cart=cart, item_id=item.pk)
    with pytest.raises(CartItemNotFoundError):
        services.remove_item(cart=cart, item_id=item.pk)


def test_remove_item_works_for_unavailable_product(cart, item):
    item.product.is_active = False
    item.product.save()
    services.remove_item(cart=cart, item_id=item.pk)
    assert lines(cart) == {}


def test_clear_cart_removes_lines_and_resets_currency(cart, item):
    CartItemFactory(cart=cart, quantity=3)
    services.clear_cart(cart=cart)
    assert lines(cart) == {}
    assert Cart.objects.get(pk=cart.pk).currency == ""
    assert Cart.objects.filter(pk=cart.pk).exists()


def test_clear_cart_of_empty_cart_is_fine(cart):
    services.clear_cart(cart=cart)
    assert lines(cart) == {}


@override_settings(ECOMMERCE_KIT={"MAX_QUANTITY_PER_LINE": 3})
def test_set_item_quantity_respects_max_quantity_setting(cart, item):
    services.set_item_quantity(cart=cart, item_id=item.pk, quantity=3)
    with pytest.raises(InvalidInputError):
        services.set_item_quantity(cart=cart, item_id=item.pk, quantity=4)
