"""The country of a shipping address: strict ISO 3166-1 alpha-2, narrowed by the host's settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation
from django_countries.data import COUNTRIES

from ecommerce_kit.orders.countries import country_name, is_iso_country_code, is_shipping_country
from ecommerce_kit.orders.serializers import ShippingAddressSerializer
from tests.factories import ProductFactory
from tests.orders.factories import checkout_body, make_cart

URL = "/api/v1/checkout/"
NOT_ISO = "Not an ISO 3166-1 alpha-2 country code."


def _country_errors(country: str) -> list[str] | None:
    serializer = ShippingAddressSerializer(
        data={"full_name": "Ana", "line1": "Rua 1", "city": "Luanda", "country": country}
    )
    if serializer.is_valid():
        return None
    return [str(message) for message in serializer.errors["country"]]


def test_every_officially_assigned_code_is_accepted() -> None:
    assert len(COUNTRIES) == 249
    for code in COUNTRIES:
        assert _country_errors(code) is None, code
        assert _country_errors(code.lower()) is None, code


@pytest.mark.parametrize(
    "country",
    [
        "XX",  # never assigned
        "UK",  # exceptionally reserved, not officially assigned (GB is)
        "EU",  # exceptionally reserved
        "04",  # a numeric code's digits
        "A1",
        "Å0",
        "  ",
    ],
)
def test_a_code_that_is_not_iso_alpha_2_is_refused(country: str) -> None:
    errors = _country_errors(country)
    assert errors is not None
    if country.strip():
        assert errors == [NOT_ISO]


@pytest.mark.parametrize("country", ["AGO", "024", "A"])
def test_alpha_3_numeric_and_short_codes_are_refused_by_length(country: str) -> None:
    assert _country_errors(country) is not None


@override_settings(COUNTRIES_ONLY=["AO", "PT"])
def test_countries_only_narrows_the_accepted_countries() -> None:
    assert _country_errors("AO") is None
    assert _country_errors("pt") is None
    assert _country_errors("US") == ["Shipping to United States of America is not available."]
    assert _country_errors("XX") == [NOT_ISO]


@override_settings(COUNTRIES_ONLY=["AO", "PT"])
def test_refusal_names_the_country_in_the_active_language() -> None:
    with translation.override("pt"):
        assert _country_errors("DE") == ["O envio para Alemanha não está disponível."]
        assert _country_errors("XX") == ["Não é um código de país ISO 3166-1 alfa-2."]


@override_settings(COUNTRIES_OVERRIDE={"AO": None, "XK": "Kosovo"})
def test_countries_override_removes_and_adds_countries() -> None:
    assert _country_errors("AO") == ["Shipping to Angola is not available."]
    assert _country_errors("XK") is None
    assert not is_iso_country_code("XK")
    assert is_shipping_country("XK")


def test_settings_are_read_on_every_call() -> None:
    assert is_shipping_country("US")
    with override_settings(COUNTRIES_ONLY=["AO"]):
        assert not is_shipping_country("US")
    assert is_shipping_country("US")


def test_country_names_are_translated() -> None:
    assert country_name("ZA") == "South Africa"
    with translation.override("pt"):
        assert country_name("ZA") == "África do Sul"
    assert country_name("XX") == "XX"


@pytest.mark.django_db
@override_settings(COUNTRIES_ONLY=["AO"])
def test_checkout_to_a_country_left_out_keeps_the_error_shape(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(stock_quantity=2), 1)])
    address = {"full_name": "A", "line1": "x", "city": "y", "country": "PT"}
    response = client_for(user).post(URL, checkout_body(shipping_address=address), format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["fields"] == {
        "shipping_address": {"country": ["Shipping to Portugal is not available."]}
    }
