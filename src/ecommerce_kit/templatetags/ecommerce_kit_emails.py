"""Template filters for the kit's e-mails: ``{% load ecommerce_kit_emails %}``."""

from __future__ import annotations

from typing import Any

from django import template
from moneyed import Money

from ecommerce_kit.emails import format_money

register = template.Library()


@register.filter
def money(value: Any) -> Any:
    """Format a ``Money`` for the active language: ``{{ order.total|money }}`` gives
    ``AOA1,250.00`` in English and ``1 250,00 Kz`` in Portuguese (``EMAIL_MONEY_LOCALES``)."""
    if not isinstance(value, Money):
        return value
    return format_money(value)
