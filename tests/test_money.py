from __future__ import annotations

from decimal import Decimal

import pytest
from moneyed import Money

from ecommerce_kit import money
from ecommerce_kit.exceptions import CurrencyMismatchError


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
