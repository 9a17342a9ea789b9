"""The ways to pay the storefront offers: the demo gateways, each with what it is sent.

The ``dummy`` gateway's outcome is chosen by a test token (``docs/payments.md``); ``demo_reference``
(``demo/gateways.py``) answers with a reference to pay. Only the options whose gateway is
configured, and takes the order's currency, are offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ecommerce_kit import plugins


@dataclass(frozen=True)
class PaymentOption:
    key: str
    gateway: str
    data: dict[str, Any]
    label: Promise
    hint: Promise


OPTIONS = (
    PaymentOption(
        "card",
        "dummy",
        {"token": "tok_success"},
        _("Card (demo): approved"),
        _("Paid at once."),
    ),
    PaymentOption(
        "card-declined",
        "dummy",
        {"token": "tok_decline"},
        _("Card (demo): declined"),
        _("The bank refuses: your cart is kept, nothing is charged."),
    ),
    PaymentOption(
        "pending",
        "dummy",
        {"token": "tok_pending"},
        _("Bank transfer (demo): confirmed later"),
        _("The order waits until the provider confirms the payment."),
    ),
    PaymentOption(
        "reference",
        "demo_reference",
        {},
        _("Payment by reference (demo)"),
        _("Pay the entity and reference shown at an ATM or in your bank's app before it expires."),
    ),
)


def available_options(currency: str | None) -> list[PaymentOption]:
    """The options whose gateway is configured and takes ``currency`` (any, when ``None``)."""
    gateways = {gateway.id for gateway in plugins.list_gateways(currency=currency)}
    return [option for option in OPTIONS if option.gateway in gateways]


def find_option(key: str | None, currency: str | None) -> PaymentOption | None:
    return next((o for o in available_options(currency) if o.key == key), None)
