"""Each recipient reads their e-mails in their own language, with money written their way."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from moneyed import Money

from ecommerce_kit.emails import format_money, language_for
from tests.emails.helpers import place_order
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def _subjects(mailoutbox: Any, user: Any) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == [user.email]]


@pytest.mark.parametrize(
    ("header", "stored"), [("pt", "pt"), ("pt-AO,pt;q=0.9", "pt"), ("en", "en")]
)
def test_checkout_records_the_request_language_on_the_order(header: str, stored: str) -> None:
    order = place_order(UserFactory(), [(ProductFactory(), 1)], language=header)
    assert order.language == stored


def test_buyer_reads_the_language_of_the_checkout_and_seller_the_default(
    mailoutbox: Any,
) -> None:
    buyer, product = UserFactory(), ProductFactory()
    order = place_order(buyer, [(product, 1)], language="pt")

    assert _subjects(mailoutbox, buyer) == [f"Encomenda {order.number} confirmada"]
    assert _subjects(mailoutbox, product.store.owner) == [
        f"New order {order.number} for {product.store.name}"
    ]
    assert sorted(e.language for e in order.emails.all()) == ["en", "pt"]


def test_a_users_own_language_wins(
    mailoutbox: Any, kit_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit_settings(EMAIL_LANGUAGE_ATTRIBUTE="preferred_language")
    languages = {"ana": "pt-AO", "bruno": "pt"}
    monkeypatch.setattr(
        get_user_model(),
        "preferred_language",
        property(lambda user: languages.get(user.username, "")),
        raising=False,
    )
    buyer, seller = UserFactory(username="ana"), UserFactory(username="bruno")
    product = ProductFactory(store__owner=seller)
    order = place_order(buyer, [(product, 1)], language="en")

    assert _subjects(mailoutbox, buyer) == [f"Encomenda {order.number} confirmada"]
    assert _subjects(mailoutbox, seller) == [
        f"Nova encomenda {order.number} para {product.store.name}"
    ]


def test_email_language_is_the_fallback(kit_settings: Any) -> None:
    kit_settings(EMAIL_LANGUAGE="pt")
    order = SimpleNamespace(language="")
    assert language_for(SimpleNamespace(), order) == "pt"
    assert language_for(SimpleNamespace(language="en"), order) == "en"
    assert language_for(SimpleNamespace(language=lambda: "en"), order) == "en"
    # Not one of LANGUAGES: the next candidate.
    assert language_for(SimpleNamespace(language="fr"), SimpleNamespace(language="zz")) == "pt"
    kit_settings(EMAIL_LANGUAGE=None, EMAIL_LANGUAGE_ATTRIBUTE=None)
    assert language_for(SimpleNamespace(language="pt"), None) == "en"  # LANGUAGE_CODE


@pytest.mark.parametrize(
    ("language", "locales", "expected"),
    [
        ("en", None, "AOA1,250.50"),
        ("pt", None, f"1{NBSP}250,50{NBSP}Kz"),
        ("pt", {"pt": "pt_PT"}, f"1{NBSP}250,50{NBSP}AOA"),
        ("pt", {"pt": "pt_BR"}, f"AOA{NBSP}1.250,50"),
    ],
)
def test_money_is_formatted_for_the_language(
    kit_settings: Any, language: str, locales: dict[str, str] | None, expected: str
) -> None:
    if locales is not None:
        kit_settings(EMAIL_MONEY_LOCALES=locales)
    assert format_money(Money("1250.50", "AOA"), language) == expected
    with translation.override(language):
        assert format_money(Money("1250.50", "AOA")) == expected


def test_other_currencies_are_formatted_too() -> None:
    assert format_money(Money("99.5", "USD"), "en") == "$99.50"
    assert format_money(Money("99.5", "EUR"), "pt") == f"99,50{NBSP}€"
