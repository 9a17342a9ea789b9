"""Serializer fields shared by the apps."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from moneyed import Money
from rest_framework import serializers

from ecommerce_kit.conf import kit_settings
from ecommerce_kit.money import DECIMAL_PLACES, decimal_places, quantize, storable_currency

MONEY_SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "format": "decimal", "example": "1250.00"},
        "currency": {"type": "string", "example": "AOA", "description": "ISO 4217 code"},
    },
    "required": ["amount", "currency"],
}

MAX_AMOUNT_DIGITS = 14

#: The message for text holding a NUL character (Django's own, translated with Django).
NULL_CHARACTERS_MESSAGE = ProhibitNullCharactersValidator.message


def contains_null_character(value: Any) -> bool:
    """Whether ``value`` (a string, or any key or string nested in JSON-like data) holds ``\x00``.

    PostgreSQL cannot store a NUL character in a ``text`` or ``jsonb`` column, nor compare one
    with it, so such input must be refused before it reaches a query.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class NoNullCharactersValidator:
    """Refuse JSON-like data holding a NUL character anywhere.

    See :func:`contains_null_character`.
    """

    message = NULL_CHARACTERS_MESSAGE

    def __call__(self, value: Any) -> None:
        if contains_null_character(value):
            raise serializers.ValidationError(self.message, code="null_characters_not_allowed")


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """Read and write money as ``{"amount": "1250.00", "currency": "AOA"}``.

    The amount is a decimal string (an integer is accepted too; a float never is), with no more
    digits after the point than the currency's minor units; the currency must be one of the
    ``CURRENCIES`` setting and have at most two minor units. ``min_value`` (default 0) rejects
    amounts below it, ``max_value`` (default none) amounts above it.
    """

    default_error_messages = {
        # Braces are doubled: DRF formats these messages with str.format.
        "invalid": _(
            'Expected an object {{"amount": "<decimal string>", "currency": "<ISO 4217>"}}.'
        ),
        "invalid_amount": _('Amount must be a decimal string such as "1250.00".'),
        "decimal_places": _(
            "Ensure that there are no more than {places} decimal places for {currency}."
        ),
        "max_digits": _("Ensure that there are no more than {digits} digits in total."),
        "min_value": _("Ensure this amount is greater than or equal to {min}."),
        "max_value": _("Ensure this amount is less than or equal to {max}."),
        "positive": _("Ensure this amount is greater than zero."),
        "currency": _("Unknown or unsupported currency {currency}; use one of: {allowed}."),
        "currency_places": _(
            "Unsupported currency {currency}: its amounts have {places} decimal places, and at "
            "most {max_places} can be stored."
        ),
    }

    def __init__(
        self,
        *,
        min_value: Decimal | None = Decimal(0),
        max_value: Decimal | None = None,
        positive: bool = False,
        **kwargs: Any,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.positive = positive
        super().__init__(**kwargs)

    def to_representation(self, value: Money) -> dict[str, str]:
        value = quantize(value)
        return {"amount": f"{value.amount:f}", "currency": str(value.currency)}

    def to_internal_value(self, data: Any) -> Money:
        if (
            not isinstance(data, dict)
            or set(data) - {"amount", "currency"}
            or "amount" not in data
            or "currency" not in data
        ):
            self.fail("invalid")
        currency = data["currency"]
        allowed = kit_settings.CURRENCIES
        if not isinstance(currency, str) or currency not in allowed:
            self.fail("currency", currency=currency, allowed=", ".join(allowed))
        if not storable_currency(currency):  # refused by system check E011, unless silenced
            self.fail(
                "currency_places",
                currency=currency,
                places=decimal_places(currency),
                max_places=DECIMAL_PLACES,
            )
        raw = data["amount"]
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail("invalid_amount")
        try:
            amount = Decimal(str(raw).strip())
        except InvalidOperation:
            self.fail("invalid_amount")
        if not amount.is_finite():
            self.fail("invalid_amount")
        if amount.adjusted() >= MAX_AMOUNT_DIGITS:  # before quantize(), which would overflow
            self.fail("max_digits", digits=MAX_AMOUNT_DIGITS)
        places = decimal_places(currency)
        exponent = amount.as_tuple().exponent
        if (
            isinstance(exponent, int)
            and -exponent > places
            and amount != amount.quantize(Decimal(1).scaleb(-places))
        ):
            self.fail("decimal_places", places=places, currency=currency)
        amount = amount.quantize(Decimal(1).scaleb(-places))
        if len(amount.as_tuple().digits) > MAX_AMOUNT_DIGITS:
            self.fail("max_digits", digits=MAX_AMOUNT_DIGITS)
        if self.min_value is not None and amount < self.min_value:
            self.fail("min_value", min=self.min_value)
        if self.max_value is not None and amount > self.max_value:
            self.fail("max_value", max=self.max_value)
        if self.positive and amount <= 0:
            self.fail("positive")
        return Money(amount, currency)


#: Unbound fields whose ``to_representation`` the kit's directly written shapes (products, carts,
#: orders, payments) reuse: the output of the declared fields, without DRF's per-field loop.
_MONEY_OUTPUT = MoneyField(read_only=True)
_DATETIME_OUTPUT = serializers.DateTimeField(read_only=True)


def represent_money(value: Any) -> dict[str, str] | None:
    """``value`` as a read-only :class:`MoneyField` gives it (``None`` stays ``None``)."""
    return None if value is None else _MONEY_OUTPUT.to_representation(value)


def represent_datetime(value: Any) -> str | None:
    """``value`` as a read-only ``DateTimeField`` gives it (``None`` stays ``None``)."""
    return _DATETIME_OUTPUT.to_representation(value)
