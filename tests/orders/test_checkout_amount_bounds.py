"""Checkout refuses an order whose amounts would not fit the money columns (numeric(14, 2)).

Nothing may be reserved or committed: on PostgreSQL the insert would fail, and on SQLite the
order used to be committed and then fail when read back. The tests that check what was committed
run outside a test transaction, on both databases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.cart.models import CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.money import MAX_AMOUNT
from ecommerce_kit.orders.models import Order, OrderItem
from ecommerce_kit.payments.models import Payment
from tests.factories import ProductFactory
from tests.orders.factories import checkout_body, make_cart

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkout/"
MAX_AMOUNT_JSON = {"amount": "999999999999.99", "currency": "AOA"}


def _aoa(amount: str) -> Money:
    return Money(amount, "AOA")


def _post(client_for: Any, user: Any, **body: Any) -> Any:
    client = client_for(user)
    client.raise_request_exception = False  # a crash must show as a 500 here, not raise
    return client.post(URL, checkout_body(**body), format="json")


def _assert_refused_and_nothing_changed(
    response: Any, lines: list[tuple[Product, int]], stock: list[int]
) -> None:
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert body["code"] == "amount_too_large"
    assert body["status_code"] == 400
    assert body["max_amount"] == MAX_AMOUNT_JSON
    assert body["error"]
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert not Payment.objects.exists()
    for (product, _quantity), before in zip(lines, stock, strict=True):
        product.refresh_from_db()
        assert product.stock_quantity == before
    # The lines are still in the cart, to be changed by the buyer.
    assert sorted(CartItem.objects.values_list("product_id", "quantity")) == sorted(
        (product.pk, quantity) for product, quantity in lines
    )


@pytest.mark.django_db(transaction=True)
def test_price_just_under_the_column_limit_times_two_is_refused_and_nothing_committed(
    client_for: Any, user: Any
) -> None:
    # A price the catalog no longer accepts, but one written before the bound existed.
    product = ProductFactory(price=_aoa("999999999999.99"), stock_quantity=5)
    lines = [(product, 2)]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [5])


@pytest.mark.django_db(transaction=True)
def test_subtotal_over_the_limit_is_refused_when_every_line_fits(
    client_for: Any, user: Any
) -> None:
    first = ProductFactory(price=_aoa("600000000000.00"), stock_quantity=3)
    second = ProductFactory(price=_aoa("400000000000.00"), stock_quantity=3)
    lines = [(first, 1), (second, 1)]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [3, 3])


def test_many_lines_at_the_maximum_price_are_refused(client_for: Any, user: Any) -> None:
    products = [ProductFactory(price=_aoa("9999999999.99"), stock_quantity=99) for _ in range(2)]
    lines = [(product, 99) for product in products]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [99, 99])


def test_refused_before_expected_total_is_compared(client_for: Any, user: Any) -> None:
    product = ProductFactory(price=_aoa("999999999999.99"), stock_quantity=5)
    lines = [(product, 3)]
    make_cart(user, lines)
    # An expected total that differs would be a price_changed, if the order could be priced.
    response = _post(client_for, user, expected_total={"amount": "10.00", "currency": "AOA"})
    _assert_refused_and_nothing_changed(response, lines, [5])


def test_tax_that_takes_the_total_over_the_limit_is_refused(
    client_for: Any, user: Any, settings: Any
) -> None:
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "DEFAULT_TAX_RATE": Decimal("0.5")}
    product = ProductFactory(price=_aoa("9999999999.99"), stock_quantity=99)
    lines = [(product, 90)]  # subtotal 899,999,999,999.10; with tax 1,349,999,999,998.65
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [99])


def test_default_shipping_cost_that_does_not_fit_is_refused(
    client_for: Any, user: Any, settings: Any
) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "DEFAULT_SHIPPING_COST": Decimal("1000000000000"),
    }
    product = ProductFactory(price=_aoa("10.00"), stock_quantity=5)
    lines = [(product, 1)]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [5])


@pytest.mark.parametrize("amount", ["1000000000000.00", "1e40"])
@pytest.mark.django_db(transaction=True)
def test_huge_shipping_from_a_plugin_is_refused(
    client_for: Any, user: Any, isolated_plugins: Any, amount: str
) -> None:
    class Shipping:
        @hookimpl
        def calculate_shipping(self, cart: Any, address: Any, subtotal: Any) -> Money:
            return Money(Decimal(amount), "AOA")

    isolated_plugins.register(Shipping(), name="huge-shipping")
    product = ProductFactory(price=_aoa("10.00"), stock_quantity=5)
    lines = [(product, 1)]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [5])


@pytest.mark.parametrize("amount", ["999999999990.00", "1e40"])
def test_huge_tax_from_a_plugin_is_refused(
    client_for: Any, user: Any, isolated_plugins: Any, amount: str
) -> None:
    class Tax:
        @hookimpl
        def calculate_tax(self, cart: Any, address: Any, subtotal: Any, shipping: Any) -> Money:
            return Money(Decimal(amount), "AOA")

    isolated_plugins.register(Tax(), name="huge-tax")
    product = ProductFactory(price=_aoa("10.00"), stock_quantity=5)
    lines = [(product, 1)]
    make_cart(user, lines)
    _assert_refused_and_nothing_changed(_post(client_for, user), lines, [5])


def test_plugin_returning_an_infinite_amount_is_a_plugin_error(
    user: Any, isolated_plugins: Any
) -> None:
    from ecommerce_kit.payments.services import checkout

    class Broken:
        @hookimpl
        def calculate_shipping(self, cart: Any, address: Any, subtotal: Any) -> Money:
            return Money(Decimal("Infinity"), "AOA")

    isolated_plugins.register(Broken(), name="broken-shipping")
    make_cart(user, [(ProductFactory(price=_aoa("10.00")), 1)])
    with pytest.raises(TypeError, match="calculate_shipping"):
        checkout(
            user=user,
            shipping_address=checkout_body()["shipping_address"],
            payment_method="dummy",
            payment_data={},
            expected_total=None,
            idempotency_key=None,
        )
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_total_of_exactly_the_column_limit_is_placed(client_for: Any, user: Any) -> None:
    product = ProductFactory(price=_aoa("999999999999.99"), stock_quantity=5)
    make_cart(user, [(product, 1)])
    response = _post(client_for, user)
    assert response.status_code == 201, response.content
    order = response.json()["order"]
    assert order["total"] == MAX_AMOUNT_JSON
    assert order["items"][0]["line_total"] == MAX_AMOUNT_JSON
    assert Order.objects.get().total == Money(MAX_AMOUNT, "AOA")
    assert Payment.objects.get().amount == Money(MAX_AMOUNT, "AOA")
    product.refresh_from_db()
    assert product.stock_quantity == 4


def test_amount_too_large_is_answered_in_portuguese(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(price=_aoa("999999999999.99")), 2)])
    client = client_for(user)
    with translation.override("en"):  # the request switches to Portuguese; switch back after it
        response = client.post(URL, checkout_body(), format="json", HTTP_ACCEPT_LANGUAGE="pt")
    assert response.status_code == 400
    assert response.json()["code"] == "amount_too_large"
    assert response.json()["error"] == (
        "Os montantes desta encomenda são demasiado grandes para serem registados; "
        "encomende menos artigos de cada vez."
    )
