from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from moneyed import Money
from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField


class _Price(serializers.Serializer[Any]):
    price = MoneyField()


class _PositivePrice(serializers.Serializer[Any]):
    price = MoneyField(positive=True)


class _Refund(serializers.Serializer[Any]):
    amount = MoneyField(min_value=Decimal("1.00"), required=False)


def _errors(serializer_class: type[serializers.Serializer[Any]], value: Any) -> list[str]:
    serializer = serializer_class(data={"price": value})
    assert not serializer.is_valid()
    return [str(e) for e in serializer.errors["price"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"amount": "1250.00", "currency": "AOA"}, Money("1250.00", "AOA")),
        ({"amount": "1250", "currency": "AOA"}, Money("1250.00", "AOA")),
        ({"amount": " 7.5 ", "currency": "USD"}, Money("7.50", "USD")),
        ({"amount": 3, "currency": "EUR"}, Money("3.00", "EUR")),
        ({"amount": "0", "currency": "AOA"}, Money("0.00", "AOA")),
        ({"amount": "1.10000", "currency": "AOA"}, Money("1.10", "AOA")),
        ({"amount": "99999999999.99", "currency": "AOA"}, Money("99999999999.99", "AOA")),
    ],
)
def test_valid_money_is_read_exactly(value: dict[str, Any], expected: Money) -> None:
    serializer = _Price(data={"price": value})
    assert serializer.is_valid(), serializer.errors
    price = serializer.validated_data["price"]
    assert price == expected
    assert isinstance(price.amount, Decimal)


def test_money_is_written_as_a_decimal_string_with_minor_units() -> None:
    assert MoneyField().to_representation(Money("5", "AOA")) == {
        "amount": "5.00",
        "currency": "AOA",
    }
    assert MoneyField().to_representation(Money("0.125", "USD")) == {
        "amount": "0.13",
        "currency": "USD",
    }


@override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", "JPY"]})
def test_minor_units_follow_iso_4217() -> None:
    assert MoneyField().to_representation(Money("1500", "JPY")) == {
        "amount": "1500",
        "currency": "JPY",
    }
    assert _errors(_Price, {"amount": "10.5", "currency": "JPY"}) == [
        "Ensure that there are no more than 0 decimal places for JPY."
    ]
    serializer = _Price(data={"price": {"amount": "1500", "currency": "JPY"}})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["price"] == Money("1500", "JPY")


@pytest.mark.parametrize("amount", ["1.125", "1.5", "1", 2])
@pytest.mark.parametrize("code", ["KWD", "BHD", "TND", "CLF"])
def test_currency_with_more_than_two_minor_units_is_refused_even_if_configured(
    code: str, amount: Any
) -> None:
    # System check E011 refuses such a setting; a host that silenced it still gets a 400.
    places = 4 if code == "CLF" else 3
    with override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", code]}):
        assert _errors(_Price, {"amount": amount, "currency": code}) == [
            f"Unsupported currency {code}: its amounts have {places} decimal places, and at "
            "most 2 can be stored."
        ]


def test_currency_with_more_than_two_minor_units_is_refused_when_not_configured() -> None:
    assert _errors(_Price, {"amount": "1.125", "currency": "KWD"}) == [
        "Unknown or unsupported currency KWD; use one of: AOA, USD, EUR."
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"amount": 12.5, "currency": "AOA"}, 'Amount must be a decimal string such as "1250.00".'),
        ({"amount": True, "currency": "AOA"}, 'Amount must be a decimal string such as "1250.00".'),
        (
            {"amount": "12,50", "currency": "AOA"},
            'Amount must be a decimal string such as "1250.00".',
        ),
        (
            {"amount": "NaN", "currency": "AOA"},
            'Amount must be a decimal string such as "1250.00".',
        ),
        (
            {"amount": "-Infinity", "currency": "AOA"},
            'Amount must be a decimal string such as "1250.00".',
        ),
        ({"amount": None, "currency": "AOA"}, 'Amount must be a decimal string such as "1250.00".'),
        (
            {"amount": "1.005", "currency": "AOA"},
            "Ensure that there are no more than 2 decimal places for AOA.",
        ),
        (
            {"amount": "-0.01", "currency": "AOA"},
            "Ensure this amount is greater than or equal to 0.",
        ),
        (
            {"amount": "1000000000000.00", "currency": "AOA"},
            "Ensure that there are no more than 14 digits in total.",
        ),
        (
            {"amount": "1e400", "currency": "AOA"},
            "Ensure that there are no more than 14 digits in total.",
        ),
        (
            {"amount": "1", "currency": "GBP"},
            "Unknown or unsupported currency GBP; use one of: AOA, USD, EUR.",
        ),
        (
            {"amount": "1", "currency": "KZZ"},
            "Unknown or unsupported currency KZZ; use one of: AOA, USD, EUR.",
        ),
        (
            {"amount": "1", "currency": 978},
            "Unknown or unsupported currency 978; use one of: AOA, USD, EUR.",
        ),
    ],
)
def test_bad_money_is_rejected_with_a_clear_message(value: dict[str, Any], message: str) -> None:
    assert _errors(_Price, value) == [message]


@pytest.mark.parametrize(
    "value",
    [
        {"amount": "1"},
        {"currency": "AOA"},
        {},
        {"amount": "1", "currency": "AOA", "x": 1},
        "1.00",
        1,
        [],
        None,
    ],
)
def test_money_must_be_an_object_with_amount_and_currency(value: Any) -> None:
    messages = _errors(_Price, value)
    assert len(messages) == 1
    if value is not None:
        assert messages == [
            'Expected an object {"amount": "<decimal string>", "currency": "<ISO 4217>"}.'
        ]


def test_positive_rejects_zero() -> None:
    assert _errors(_PositivePrice, {"amount": "0.00", "currency": "AOA"}) == [
        "Ensure this amount is greater than zero."
    ]


def test_min_value_is_configurable() -> None:
    serializer = _Refund(data={"amount": {"amount": "0.50", "currency": "AOA"}})
    assert not serializer.is_valid()
    assert [str(e) for e in serializer.errors["amount"]] == [
        "Ensure this amount is greater than or equal to 1.00."
    ]
    assert _Refund(data={}).is_valid()


class _BoundedPrice(serializers.Serializer[Any]):
    price = MoneyField(positive=True, max_value=Decimal("9999999999.99"))


def test_max_value_is_configurable() -> None:
    assert _errors(_BoundedPrice, {"amount": "10000000000.00", "currency": "AOA"}) == [
        "Ensure this amount is less than or equal to 9999999999.99."
    ]
    serializer = _BoundedPrice(data={"price": {"amount": "9999999999.99", "currency": "AOA"}})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["price"] == Money("9999999999.99", "AOA")
