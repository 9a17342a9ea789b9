"""EMAILS turns e-mails off one by one, EMAIL_FROM signs them; bad values fail the checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from ecommerce_kit.checks import check_settings
from ecommerce_kit.conf import kit_settings as conf
from ecommerce_kit.plugins import get_plugin_manager
from tests.emails.helpers import cancel, emails, move, place_order
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_email_is_on_by_default() -> None:
    assert conf.EMAILS == {
        "order_confirmed": True,
        "order_shipped": True,
        "order_delivered": True,
        "order_cancelled": True,
        "order_refunded": True,
        "fulfilment_due": True,
    }


def test_an_email_turned_off_is_neither_recorded_nor_sent(
    mailoutbox: Any, kit_settings: Any
) -> None:
    kit_settings(EMAILS={"order_confirmed": False, "order_shipped": False})
    product = ProductFactory()
    order = place_order(UserFactory(), [(product, 1)])
    move(order.fulfilments.get(), "process", "ship", "deliver")

    # The others keep their default (on).
    assert [e.kind for e in emails()] == ["fulfilment_due", "order_delivered"]
    assert [m.subject for m in mailoutbox] == [
        f"New order {order.number} for {product.store.name}",
        f"Order {order.number} delivered",
    ]


def test_sender_is_default_from_email_unless_email_from_is_set(
    mailoutbox: Any, settings: Any, kit_settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "shop@example.ao"
    place_order(UserFactory(), [(ProductFactory(), 1)])
    kit_settings(EMAIL_FROM="Loja Kwanza <encomendas@example.ao>")
    place_order(UserFactory(), [(ProductFactory(), 1)])

    assert [m.from_email for m in mailoutbox] == [
        "shop@example.ao",
        "shop@example.ao",
        "Loja Kwanza <encomendas@example.ao>",
        "Loja Kwanza <encomendas@example.ao>",
    ]


def test_blocking_the_builtin_plugin_stops_every_email(mailoutbox: Any, kit_settings: Any) -> None:
    kit_settings(BLOCKED_PLUGINS=["ecommerce_kit.emails"])
    get_plugin_manager.cache_clear()
    buyer = UserFactory()
    order = place_order(buyer, [(ProductFactory(), 1)])
    cancel(order, buyer)

    assert mailoutbox == [] and emails() == []


@pytest.mark.parametrize(
    "kit",
    [
        {"EMAILS": {"order_confirmd": False}},
        {"EMAILS": {"order_confirmed": "no"}},
        {"EMAILS": ["order_confirmed"]},
        {"EMAIL_FROM": ""},
        {"EMAIL_FROM": 42},
        {"EMAIL_LANGUAGE": "fr"},
        {"EMAIL_LANGUAGE_ATTRIBUTE": ""},
        {"EMAIL_MONEY_LOCALES": {"pt": "xx_YY"}},
        {"EMAIL_MONEY_LOCALES": {"pt": None}},
        {"EMAIL_MONEY_LOCALES": "pt_AO"},
    ],
)
def test_E010_invalid_email_settings(kit: dict[str, Any]) -> None:
    with override_settings(ECOMMERCE_KIT=kit):
        assert [e.id for e in check_settings()] == ["ecommerce_kit.E010"]


def test_valid_email_settings_pass() -> None:
    kit = {
        "EMAILS": {"order_delivered": False},
        "EMAIL_FROM": "Loja <loja@example.ao>",
        "EMAIL_LANGUAGE": "pt",
        "EMAIL_LANGUAGE_ATTRIBUTE": None,
        "EMAIL_MONEY_LOCALES": {"pt": "pt_PT", "en": "en_US"},
    }
    with override_settings(ECOMMERCE_KIT=kit):
        assert check_settings() == []
