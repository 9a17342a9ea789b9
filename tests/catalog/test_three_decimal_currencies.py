"""Currencies with more than two minor units are refused: their amounts cannot be stored exactly.

System check E011 refuses them in ``CURRENCIES``; these tests cover a host that silenced it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import override_settings
from moneyed import Money

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.exceptions import InvalidInputError
from tests.catalog.helpers import product_url, products_url
from tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("three_decimal_currency_configured"),
]


@pytest.fixture
def three_decimal_currency_configured() -> Any:
    with override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", "KWD", "JPY"]}):
        yield


def _body(category: Category, amount: str, currency: str) -> dict[str, Any]:
    return {
        "name": "Dallah",
        "price": {"amount": amount, "currency": currency},
        "stock_quantity": 1,
        "category": category.pk,
    }


@pytest.mark.parametrize("amount", ["1.125", "1.500", "12"])
def test_api_create_refuses_kwd(
    client_for: Any, seller: AbstractBaseUser, category: Category, amount: str
) -> None:
    response = client_for(seller).post(
        products_url(), _body(category, amount, "KWD"), format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {
        "price": [
            "Unsupported currency KWD: its amounts have 3 decimal places, and at most 2 can be "
            "stored."
        ]
    }
    assert not Product.objects.exists()


def test_api_patch_refuses_kwd(
    client_for: Any, seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    product = ProductFactory(store=store, category=category)
    response = client_for(seller).patch(
        product_url(product.pk), {"price": {"amount": "1.125", "currency": "KWD"}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["price"]
    product.refresh_from_db()
    assert product.price == Money("1000.00", "AOA")


def test_api_accepts_a_currency_without_minor_units(
    client_for: Any, seller: AbstractBaseUser, category: Category
) -> None:
    response = client_for(seller).post(
        products_url(), _body(category, "1500", "JPY"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["price"] == {"amount": "1500", "currency": "JPY"}


@pytest.mark.parametrize("amount", ["1.125", "1.12", "12"])
def test_service_refuses_kwd(seller: AbstractBaseUser, category: Category, amount: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        services.create_product(
            seller=seller, name="Dallah", price=Money(amount, "KWD"), category=category
        )
    assert list(info.value.extra["fields"]) == ["price"]
    assert not Product.objects.exists()


def test_service_update_refuses_kwd(
    seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    product = ProductFactory(store=store, category=category)
    with pytest.raises(InvalidInputError):
        services.update_product(product=product, actor=seller, price=Money("2", "KWD"))
    product.refresh_from_db()
    assert product.price == Money("1000.00", "AOA")
