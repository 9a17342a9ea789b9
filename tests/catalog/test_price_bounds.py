"""Product prices are bounded by ``money.MAX_PRICE``, so that order amounts fit their columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from moneyed import Money

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.exceptions import InvalidInputError
from ecommerce_kit.money import MAX_AMOUNT, MAX_PRICE
from tests.catalog.helpers import product_url, products_url
from tests.factories import ProductFactory, StaffFactory

pytestmark = pytest.mark.django_db

TOO_HIGH = ["10000000000.00", "999999999999.99"]  # the second is the largest the column holds


def _body(category: Category, price: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Joia", "price": price, "stock_quantity": 1, "category": category.pk}


def _aoa(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "AOA"}


def _assert_price_refused(response: Any) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["price"]
    return [str(message) for message in body["fields"]["price"]]


def test_the_bound_leaves_room_for_a_full_line() -> None:
    assert MAX_PRICE == Decimal("9999999999.99")
    assert MAX_PRICE * 99 <= MAX_AMOUNT


@pytest.mark.parametrize("amount", TOO_HIGH)
def test_create_refuses_a_price_above_the_bound(
    client_for: Any, seller: AbstractBaseUser, category: Category, amount: str
) -> None:
    response = client_for(seller).post(products_url(), _body(category, _aoa(amount)), format="json")
    assert _assert_price_refused(response) == [
        "Ensure this amount is less than or equal to 9999999999.99."
    ]
    assert not Product.objects.exists()


def test_create_accepts_the_bound(
    client_for: Any, seller: AbstractBaseUser, category: Category
) -> None:
    response = client_for(seller).post(
        products_url(), _body(category, _aoa("9999999999.99")), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["price"] == _aoa("9999999999.99")
    assert Product.objects.get().price == Money("9999999999.99", "AOA")


@pytest.mark.parametrize("amount", [*TOO_HIGH, "1000000000000", "1e30"])
def test_patch_refuses_a_price_above_the_bound_and_changes_nothing(
    client_for: Any, seller: AbstractBaseUser, store: Store, category: Category, amount: str
) -> None:
    product = ProductFactory(store=store, category=category)
    before = product.price
    response = client_for(seller).patch(
        product_url(product.pk), {"price": _aoa(amount), "stock_quantity": 3}, format="json"
    )
    _assert_price_refused(response)
    product.refresh_from_db()
    assert product.price == before and product.stock_quantity == 10


def test_staff_patch_is_bounded_too(client_for: Any, category: Category) -> None:
    product = ProductFactory(category=category)
    response = client_for(StaffFactory()).patch(
        product_url(product.pk), {"price": _aoa("10000000000")}, format="json"
    )
    _assert_price_refused(response)


def test_bound_message_is_translated(
    client_for: Any, seller: AbstractBaseUser, category: Category
) -> None:
    with translation.override("en"):  # the request switches to Portuguese; switch back after it
        response = client_for(seller).post(
            products_url(),
            _body(category, _aoa("10000000000.00")),
            format="json",
            HTTP_ACCEPT_LANGUAGE="pt",
        )
    assert _assert_price_refused(response) == [
        "Garanta que este montante é menor ou igual a 9999999999.99."
    ]


@pytest.mark.parametrize(
    "amount", ["10000000000.00", "999999999999.99", "1000000000000", "1E+30", "Infinity"]
)
def test_service_create_refuses_a_price_above_the_bound(
    seller: AbstractBaseUser, category: Category, amount: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        services.create_product(
            seller=seller, name="Joia", price=Money(Decimal(amount), "AOA"), category=category
        )
    assert list(info.value.extra["fields"]) == ["price"]
    assert not Product.objects.exists()


def test_service_update_refuses_a_price_above_the_bound(
    seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    product = ProductFactory(store=store, category=category)
    with translation.override("en"), pytest.raises(InvalidInputError) as info:
        services.update_product(
            product=product, actor=seller, price=Money("10000000000.00", "AOA"), name="New"
        )
    assert info.value.extra["fields"] == {
        "price": ["Ensure this amount is less than or equal to 9999999999.99."]
    }
    product.refresh_from_db()
    assert product.name != "New" and product.price == Money("1000.00", "AOA")


def test_service_accepts_the_bound(seller: AbstractBaseUser, category: Category) -> None:
    product = services.create_product(
        seller=seller, name="Joia", price=Money(MAX_PRICE, "AOA"), category=category
    )
    product.refresh_from_db()
    assert product.price == Money(MAX_PRICE, "AOA")
