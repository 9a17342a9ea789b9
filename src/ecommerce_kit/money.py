"""Money helpers on top of django-money / py-moneyed.

Amounts are ``Decimal`` in one currency, never floats. Rounding is always explicit
(:data:`ROUNDING`), never the silent half-even rounding a ``MoneyField`` applies on save.

Every money column of the kit's models is ``numeric(14, 2)``: amounts up to :data:`MAX_AMOUNT`.
Product prices are bounded lower, by :data:`MAX_PRICE`, and :func:`ensure_fits` checks the
amounts of an order before anything is written.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import Currency, Money, get_currency

from ecommerce_kit.exceptions import AmountTooLargeError, CurrencyMismatchError

ROUNDING = ROUND_HALF_UP

#: Digits in all, and after the point, of every money column (``numeric(14, 2)``).
MAX_DIGITS = 14
DECIMAL_PLACES = 2
#: The largest amount a money column holds.
MAX_AMOUNT = Decimal("999999999999.99")
#: The largest price of a product: a line of 99 units of it (the default
#: ``MAX_QUANTITY_PER_LINE``) still fits a column. Whole orders are checked by :func:`ensure_fits`.
MAX_PRICE = Decimal("9999999999.99")

__all__ = [
    "DECIMAL_PLACES",
    "MAX_AMOUNT",
    "MAX_DIGITS",
    "MAX_PRICE",
    "ROUNDING",
    "Money",
    "decimal_places",
    "ensure_fits",
    "fits",
    "quantize",
    "same_currency",
    "storable_currency",
    "total",
    "zero",
]


def decimal_places(currency: str | Currency) -> int:
    """Return the number of minor-unit digits of ``currency`` (ISO 4217), e.g. 2 for AOA."""
    cur = currency if isinstance(currency, Currency) else get_currency(str(currency))
    sub_unit = int(cur.sub_unit or 1)
    return max(len(str(sub_unit)) - 1, 0)


def storable_currency(currency: str | Currency) -> bool:
    """Whether amounts in ``currency`` are stored exactly: it has at most two minor-unit digits.

    Currencies with three (KWD, BHD, JOD, OMR, TND, LYD, IQD) or four (CLF, UYW) would be rounded
    to two decimal places on save, and differ from the amounts customers confirmed.
    """
    return decimal_places(currency) <= DECIMAL_PLACES


def quantize(value: Money) -> Money:
    """Round ``value`` to its currency's minor units, half up.

    :raises AmountTooLargeError: when the amount is infinite, or has too many digits to be
        rounded (far beyond what any money column holds).
    """
    exponent = _minor_unit(str(value.currency))
    try:
        amount = value.amount.quantize(exponent, rounding=ROUNDING)
    except InvalidOperation:
        raise AmountTooLargeError(max_amount=_max_amount_json(value.currency)) from None
    return Money(amount, value.currency)


@functools.lru_cache(maxsize=256)
def _minor_unit(code: str) -> Decimal:
    """``Decimal("0.01")`` for a currency with two minor-unit digits, and so on."""
    return Decimal(1).scaleb(-decimal_places(code))


def fits(value: Money) -> bool:
    """Whether ``value``, rounded to the columns' two decimal places, fits a money column."""
    amount = value.amount
    if not amount.is_finite() or amount.adjusted() >= MAX_DIGITS - DECIMAL_PLACES:
        return False
    cents = Decimal(1).scaleb(-DECIMAL_PLACES)
    return abs(amount.quantize(cents, rounding=ROUNDING)) <= MAX_AMOUNT


def ensure_fits(*values: Money) -> None:
    """Check that every one of ``values`` can be stored in a money column (:data:`MAX_AMOUNT`).

    Checkout calls it with an order's line totals, subtotal, shipping, tax and total before it
    reserves stock or writes anything, so an order too large for its columns is refused cleanly
    instead of failing in the database (or, on SQLite, when it is read back).

    :raises AmountTooLargeError: when an amount does not fit; ``max_amount`` says the limit.
    """
    for value in values:
        if not fits(value):
            raise AmountTooLargeError(max_amount=_max_amount_json(value.currency))


def _max_amount_json(currency: str | Currency) -> dict[str, str]:
    return {"amount": f"{MAX_AMOUNT:f}", "currency": str(currency)}


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
