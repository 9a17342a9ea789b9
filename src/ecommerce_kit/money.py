"""Money helpers on top of django-money / py-moneyed.

Amounts are ``Decimal`` in one currency, never floats. Rounding is always explicit
(:data:`ROUNDING`), never the silent half-even rounding a ``MoneyField`` applies on save.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from moneyed import Currency, Money, get_currency

from ecommerce_kit.exceptions import CurrencyMismatchError

ROUNDING = ROUND_HALF_UP

__all__ = ["ROUNDING", "Money", "decimal_places", "quantize", "same_currency", "total", "zero"]


def decimal_places(currency: str | Currency) -> int:
    """Return the number of minor-unit digits of ``currency`` (ISO 4217), e.g. 2 for AOA."""
    cur = currency if isinstance(currency, Currency) else get_currency(str(currency))
    sub_unit = int(cur.sub_unit or 1)
    return max(len(str(sub_unit)) - 1, 0)


def quantize(value: Money) -> Money:
    """Round ``value`` to its currency's minor units, half up."""
    exponent = Decimal(1).scaleb(-decimal_places(value.currency))
    return Money(value.amount.quantize(exponent, rounding=ROUNDING), value.currency)


def zero(currency: str | Currency) -> Money:
    """Return zero in ``currency``."""
    return quantize(Money(Decimal(0), currency))


def same_currency(*values: Money) -> str:
    """Return the one currency code shared by ``values``.

    :raises CurrencyMismatchError: when they are in different currencies.
    """
    codes = {str(v.currency) for v in values}
    if len(codes) != 1:
        raise CurrencyMismatchError(currencies=sorted(codes))
    return codes.pop()


def total(values: Iterable[Money], currency: str | Currency) -> Money:
    """Sum ``values`` starting from ``zero(currency)``; every value must be in ``currency``.

    :raises CurrencyMismatchError: when a value is in another currency.
    """
    result = zero(currency)
    for value in values:
        if str(value.currency) != str(result.currency):
            raise CurrencyMismatchError(
                currencies=sorted({str(value.currency), str(result.currency)})
            )
        result = result + value
    return quantize(result)
