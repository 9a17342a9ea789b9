"""Template helpers of the storefront: money in the page's language, a product's price."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from moneyed import Money

from ecommerce_kit.catalog import selectors
from ecommerce_kit.emails import format_money
from ecommerce_kit.orders.countries import country_name as _country_name

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    """``value`` formatted for the active language (``Kz 1,500.00`` / ``1500,00 Kz``)."""
    if value is None:
        return ""
    return format_money(value, get_language())


@register.simple_tag
def price_of(product: Any) -> str:
    """A product's price; for a group of variants, "from" its cheapest active variant's."""
    # Only where the list or page prefetched the variants; elsewhere (a wishlist) its own price.
    prefetched = "prefetched_variants" in product.__dict__
    variants = selectors.active_variants(product) if prefetched else None
    if variants:
        return _("from %(price)s") % {"price": money(min(v.price for v in variants))}
    return money(product.price)


@register.filter
def country_name(code: str) -> str:
    """The name of the country ``code`` (ISO 3166-1 alpha-2) in the active language."""
    return _country_name(code) if code else ""
