"""A cart becomes at most one order, even when checkout is sent again before the first finishes.

Without an ``Idempotency-Key`` a double-clicked "Place order" sends two checkouts of one cart. The
lines leave the cart in the transaction that places the order, so the second checkout finds the
cart empty; they come back when the payment is declined or the gateway fails.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.exceptions import CartEmptyError
from ecommerce_kit.orders.models import Order
from ecommerce_kit.payments import services
from ecommerce_kit.payments.dummy import DummyGateway
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import ADDRESS, checkout_body, make_cart
from tests.orders.threads import run_together

URL = "/api/v1/checkout/"


def _checkout(user: Any, token: str = "tok_success") -> Any:
    return services.checkout(
        user=user,
        shipping_address=dict(ADDRESS),
        payment_method="dummy",
        payment_data={"token": token},
        expected_total=None,
        idempotency_key=None,
    )


def _lines(user: Any) -> dict[int, int]:
    return dict(CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity"))


@pytest.mark.django_db
def test_checkout_while_another_is_paying_finds_the_cart_empty(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = ProductFactory(stock_quantity=10)
    make_cart(user, [(product, 2)])
    nested: list[BaseException] = []
    create_payment = DummyGateway.create_payment

    def second_click(self: DummyGateway, **kwargs: Any) -> Any:
        # The first checkout has placed its order and is now talking to the gateway.
        if not nested:
            try:
                _checkout(user)
            except CartEmptyError as exc:
                nested.append(exc)
            else:
                nested.append(AssertionError("the second checkout placed an order"))
        return create_payment(self, **kwargs)

    monkeypatch.setattr(DummyGateway, "create_payment", second_click)

    order, payment = _checkout(user)

    assert len(nested) == 1 and isinstance(nested[0], CartEmptyError), nested
    assert Order.objects.count() == 1
    assert order.status == "confirmed" and payment.status == "captured"
    product.refresh_from_db()
    assert product.stock_quantity == 8
    assert _lines(user) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["tok_decline", "tok_error"])
def test_declined_or_failed_checkout_gives_the_cart_its_lines_back(user: Any, token: str) -> None:
    first, second = ProductFactory(stock_quantity=10), ProductFactory(stock_quantity=10)
    make_cart(user, [(first, 2), (second, 5)])

    with pytest.raises(Exception):  # noqa: B017 - PaymentDeclinedError or GatewayError
        _checkout(user, token)

    assert _lines(user) == {first.pk: 2, second.pk: 5}
    assert Cart.objects.get(user=user).currency == "AOA"


@pytest.mark.django_db
def test_declined_checkout_keeps_lines_added_while_paying(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecommerce_kit.cart import services as cart_services

    first, second = ProductFactory(stock_quantity=10), ProductFactory(stock_quantity=10)
    make_cart(user, [(first, 2)])
    create_payment = DummyGateway.create_payment

    def add_meanwhile(self: DummyGateway, **kwargs: Any) -> Any:
        cart = Cart.objects.get(user=user)
        cart_services.add_item(cart=cart, product_id=second.pk, quantity=1)
        cart_services.add_item(cart=cart, product_id=first.pk, quantity=1)
        return create_payment(self, **kwargs)

    monkeypatch.setattr(DummyGateway, "create_payment", add_meanwhile)

    with pytest.raises(Exception):  # noqa: B017 - PaymentDeclinedError
        _checkout(user, "tok_decline")

    assert _lines(user) == {first.pk: 3, second.pk: 1}


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_checkouts_of_one_cart_make_one_order() -> None:
    from rest_framework.test import APIClient

    product = ProductFactory(stock_quantity=50)
    buyer = UserFactory()
    make_cart(buyer, [(product, 2)])

    def post() -> tuple[int, Any]:
        client = APIClient()
        client.force_authenticate(user=buyer)
        response = client.post(URL, checkout_body(), format="json")
        return response.status_code, response.json()

    results = run_together([post for _ in range(10)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 1, 400: 9}, results
    assert {body["code"] for status, body in results if status == 400} == {"cart_empty"}
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 48
