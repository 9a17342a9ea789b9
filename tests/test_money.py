from __future__ import annotations

from decimal import Decimal

import pytest
from moneyed import Money

from ecommerce_kit import money
from ecommerce_kit.exceptions import AmountTooLargeError, CurrencyMismatchError


def test_decimal_places_follow_iso_4217() -> None:
    assert money.decimal_places("AOA") == 2
    assert money.decimal_places("JPY") == 0
    assert money.decimal_places("KWD") == 3


def test_quantize_rounds_half_up() -> None:
    assert money.quantize(Money("0.125", "AOA")) == Money("0.13", "AOA")
    assert money.quantize(Money("0.135", "AOA")) == Money("0.14", "AOA")


def test_total_sums_in_one_currency() -> None:
    result = money.total([Money("1.10", "AOA"), Money("2.20", "AOA")], "AOA")
    assert result == Money(Decimal("3.30"), "AOA")
    assert money.total([], "USD") == Money(0, "USD")


def test_total_rejects_mixed_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        money.total([Money(1, "AOA"), Money(1, "USD")], "AOA")


def test_same_currency_names_the_shared_code() -> None:
    assert money.same_currency(Money(1, "EUR"), Money(2, "EUR")) == "EUR"
    with pytest.raises(CurrencyMismatchError):
        money.same_currency(Money(1, "EUR"), Money(2, "USD"))


def test_every_money_column_holds_max_amount() -> None:
    from django.apps import apps
    from djmoney.models.fields import MoneyField

    columns = {
        (model.__name__, field.name): (field.max_digits, field.decimal_places)
        for model in apps.get_models()
        if model._meta.app_label.startswith("ecommerce_kit")
        for field in model._meta.get_fields()
        if isinstance(field, MoneyField)
    }
    assert ("Order", "total") in columns and ("Product", "price") in columns
    assert set(columns.values()) == {(money.MAX_DIGITS, money.DECIMAL_PLACES)}, columns
    integer_digits = money.MAX_DIGITS - money.DECIMAL_PLACES
    assert money.MAX_AMOUNT == Decimal(10) ** integer_digits - Decimal("0.01")


@pytest.mark.parametrize(
    ("amount", "fits"),
    [
        ("0", True),
        ("999999999999.99", True),
        ("999999999999.994", True),  # rounds down to the limit
        ("-999999999999.99", True),
        ("999999999999.995", False),  # rounds up past the limit
        ("1000000000000", False),
        ("-1000000000000", False),
        ("1E+40", False),
        ("Infinity", False),
        ("NaN", False),
    ],
)
def test_fits_follows_the_money_columns(amount: str, fits: bool) -> None:
    assert money.fits(Money(Decimal(amount), "AOA")) is fits


def test_ensure_fits_names_the_limit() -> None:
    money.ensure_fits(Money("1.00", "USD"), Money("999999999999.99", "USD"))
    with pytest.raises(AmountTooLargeError) as info:
        money.ensure_fits(Money("1.00", "USD"), Money("1000000000000.00", "USD"))
    assert info.value.code == "amount_too_large" and info.value.status_code == 400
    assert info.value.extra == {"max_amount": {"amount": "999999999999.99", "currency": "USD"}}


@pytest.mark.parametrize("amount", ["1E+40", "Infinity", "-Infinity"])
def test_quantize_refuses_amounts_it_cannot_round(amount: str) -> None:
    with pytest.raises(AmountTooLargeError):
        money.quantize(Money(Decimal(amount), "AOA"))
