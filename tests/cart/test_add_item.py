"""add_item: the rules of adding a product to a cart, each failing with nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import override_settings
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.exceptions import (
    CartLimitError,
    CartNotFoundError,
    CurrencyMismatchError,
    InsufficientStockError,
    InvalidInputError,
    ProductNotPurchasableError,
    ProductUnavailableError,
)
from tests.factories import ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def lines(cart: Cart) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))


def test_add_item_creates_line_and_sets_currency(cart, product):
    updated = services.add_item(cart=cart, product_id=product.pk, quantity=2)
    assert lines(cart) == {product.pk: 2}
    assert updated.currency == "AOA"
    assert cart.currency == "AOA"  # the given instance follows


def test_add_item_existing_product_adds_to_its_quantity(cart, product):
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    services.add_item(cart=cart, product_id=product.pk, quantity=3)
    assert lines(cart) == {product.pk: 5}
    assert CartItem.objects.filter(cart=cart).count() == 1


def test_add_item_touches_cart_updated_at(cart, product):
    before = Cart.objects.get(pk=cart.pk).updated_at
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    assert Cart.objects.get(pk=cart.pk).updated_at > before


@pytest.mark.parametrize("quantity", [0, -1, 100, True, "2", 1.0, None])
def test_add_item_rejects_quantity_outside_bounds(cart, product, quantity):
    with pytest.raises(InvalidInputError) as info:
        services.add_item(cart=cart, product_id=product.pk, quantity=quantity)
    assert info.value.code == "invalid"
    assert "quantity" in info.value.extra["fields"]
    assert lines(cart) == {}


@override_settings(ECOMMERCE_KIT={"MAX_QUANTITY_PER_LINE": 5})
def test_add_item_respects_max_quantity_setting(cart):
    product = ProductFactory(stock_quantity=50)
    services.add_item(cart=cart, product_id=product.pk, quantity=5)
    with pytest.raises(InvalidInputError):
        services.add_item(cart=cart, product_id=product.pk, quantity=6)


@override_settings(ECOMMERCE_KIT={"MAX_QUANTITY_PER_LINE": 5})
def test_add_item_rejects_sum_above_max_quantity(cart):
    product = ProductFactory(stock_quantity=50)
    services.add_item(cart=cart, product_id=product.pk, quantity=4)
    with pytest.raises(InvalidInputError) as info:
        services.add_item(cart=cart, product_id=product.pk, quantity=2)
    assert "quantity" in info.value.extra["fields"]
    assert lines(cart) == {product.pk: 4}


def test_add_item_rejects_more_than_stock_with_available(cart):
    product = ProductFactory(stock_quantity=3)
    with pytest.raises(InsufficientStockError) as info:
        services.add_item(cart=cart, product_id=product.pk, quantity=4)
    assert info.value.extra == {"available": 3}
    assert info.value.status_code == 409
    assert lines(cart) == {}
    assert Cart.objects.get(pk=cart.pk).currency == ""


def test_add_item_rejects_sum_above_stock(cart):
    product = ProductFactory(stock_quantity=3)
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    with pytest.raises(InsufficientStockError) as info:
        services.add_item(cart=cart, product_id=product.pk, quantity=2)
    assert info.value.extra == {"available": 3}
    assert lines(cart) == {product.pk: 2}


def test_add_item_rejects_out_of_stock_product(cart):
    product = ProductFactory(stock_quantity=0)
    with pytest.raises(InsufficientStockError) as info:
        services.add_item(cart=cart, product_id=product.pk, quantity=1)
    assert info.value.extra == {"available": 0}


@pytest.mark.parametrize("product_id", [0, -5, 2**63, 999_999, "1", None])
def test_add_item_rejects_unknown_product(cart, product, product_id):
    with pytest.raises(ProductUnavailableError) as info:
        services.add_item(cart=cart, product_id=product_id, quantity=1)
    assert info.value.code == "product_unavailable"
    assert info.value.status_code == 400


def test_add_item_rejects_inactive_product(cart):
    product = ProductFactory(is_active=False)
    with pytest.raises(ProductUnavailableError):
        services.add_item(cart=cart, product_id=product.pk, quantity=1)
    assert lines(cart) == {}


def test_add_item_rejects_product_of_unapproved_store(cart):
    product = ProductFactory(store=StoreFactory(is_approved=False, approved_at=None))
    with pytest.raises(ProductUnavailableError):
        services.add_item(cart=cart, product_id=product.pk, quantity=1)


def test_add_item_rejects_product_of_inactive_store(cart):
    product = ProductFactory(store=StoreFactory(is_active=False))
    with pytest.raises(ProductUnavailableError):
        services.add_item(cart=cart, product_id=product.pk, quantity=1)


def test_add_item_rejects_variant_of_inactive_group(cart):
    group = ProductFactory(is_active=False)
    variant = VariantFactory(parent=group)
    with pytest.raises(ProductUnavailableError):
        services.add_item(cart=cart, product_id=variant.pk, quantity=1)


def test_add_item_rejects_group_product(cart):
    group = ProductFactory()
    VariantFactory(parent=group)
    with pytest.raises(ProductNotPurchasableError) as info:
        services.add_item(cart=cart, product_id=group.pk, quantity=1)
    assert info.value.code == "product_not_purchasable"
    assert info.value.status_code == 400


def test_add_item_accepts_variant(cart):
    group = ProductFactory()
    variant = VariantFactory(parent=group, stock_quantity=4)
    services.add_item(cart=cart, product_id=variant.pk, quantity=4)
    assert lines(cart) == {variant.pk: 4}


def test_add_item_rejects_other_currency(cart, product, usd_product):
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    with pytest.raises(CurrencyMismatchError) as info:
        services.add_item(cart=cart, product_id=usd_product.pk, quantity=1)
    assert info.value.code == "currency_mismatch"
    assert info.value.status_code == 409
    assert lines(cart) == {product.pk: 1}
    assert Cart.objects.get(pk=cart.pk).currency == "AOA"


def test_add_item_first_line_in_other_currency_sets_it(cart, usd_product):
    services.add_item(cart=cart, product_id=usd_product.pk, quantity=1)
    assert Cart.objects.get(pk=cart.pk).currency == "USD"


@override_settings(ECOMMERCE_KIT={"CART_MAX_LINES": 2})
def test_add_item_rejects_line_beyond_cart_max_lines(cart):
    first, second, third = ProductFactory.create_batch(3)
    services.add_item(cart=cart, product_id=first.pk, quantity=1)
    services.add_item(cart=cart, product_id=second.pk, quantity=1)
    with pytest.raises(CartLimitError) as info:
        services.add_item(cart=cart, product_id=third.pk, quantity=1)
    assert info.value.code == "cart_full"
    assert info.value.status_code == 409
    # Adding to an existing line is still fine when the cart is full.
    services.add_item(cart=cart, product_id=first.pk, quantity=1)
    assert lines(cart) == {first.pk: 2, second.pk: 1}


def test_add_item_to_deleted_cart_is_not_found(cart, product):
    Cart.objects.filter(pk=cart.pk).delete()
    with pytest.raises(CartNotFoundError):
        services.add_item(cart=cart, product_id=product.pk, quantity=1)


def stale_first_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the first line lookup miss, as a read racing another writer's insert would."""
    real_find = services._find_line
    calls = {"n": 0}

    def find(cart, product):  # noqa: ANN001, ANN202
        calls["n"] += 1
        return None if calls["n"] == 1 else real_find(cart, product)

    monkeypatch.setattr(services, "_find_line", find)


def test_add_item_recovers_when_line_appears_between_read_and_insert(cart, product, monkeypatch):
    """The unique constraint turns a lost insert race into an addition to the existing line."""
    services.add_item(cart=cart, product_id=product.pk, quantity=3)
    stale_first_read(monkeypatch)
    services.add_item(cart=cart, product_id=product.pk, quantity=2)
    assert lines(cart) == {product.pk: 5}


def test_add_item_race_fallback_still_checks_stock(cart, monkeypatch):
    product = ProductFactory(stock_quantity=4)
    services.add_item(cart=cart, product_id=product.pk, quantity=3)
    stale_first_read(monkeypatch)
    with pytest.raises(InsufficientStockError):
        services.add_item(cart=cart, product_id=product.pk, quantity=2)
    assert lines(cart) == {product.pk: 3}


def test_add_item_reraises_unrelated_integrity_error(cart, product, monkeypatch):
    def failing_create(**kwargs):  # noqa: ANN003, ANN202
        raise IntegrityError("something else")

    monkeypatch.setattr(CartItem.objects, "create", failing_create)
    with pytest.raises(IntegrityError):
        services.add_item(cart=cart, product_id=product.pk, quantity=1)


def test_add_item_prices_follow_product_currency_column(cart):
    product = ProductFactory(price=Money(Decimal("3.00"), "EUR"))
    services.add_item(cart=cart, product_id=product.pk, quantity=1)
    assert Cart.objects.get(pk=cart.pk).currency == "EUR"


def test_add_item_for_a_user_finds_or_creates_their_cart(user) -> None:  # noqa: ANN001
    product = ProductFactory(stock_quantity=5)
    cart = services.add_item(user=user, product_id=product.pk, quantity=2)
    assert cart.user_id == user.pk and Cart.objects.filter(user=user).count() == 1
    again = services.add_item(user=user, product_id=product.pk, quantity=1)
    assert again.pk == cart.pk and lines(again) == {product.pk: 3}
    assert again.currency == str(product.price_currency)


def test_add_item_takes_a_cart_or_a_user(user) -> None:  # noqa: ANN001
    product = ProductFactory()
    cart = services.get_or_create_user_cart(user=user)
    with pytest.raises(TypeError):
        services.add_item(cart=cart, user=user, product_id=product.pk, quantity=1)
    with pytest.raises(TypeError):
        services.add_item(product_id=product.pk, quantity=1)
    assert not CartItem.objects.exists()
