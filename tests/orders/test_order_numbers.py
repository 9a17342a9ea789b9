"""Order numbers: random, readable, prefixed from settings, unique."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ecommerce_kit.orders import numbers, services
from ecommerce_kit.orders.numbers import ALPHABET, new_order_number
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import make_order


def test_order_number_has_prefix_and_unambiguous_groups() -> None:
    number = new_order_number()
    assert re.fullmatch(rf"EK-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", number)
    assert not set("01ILO") & set(ALPHABET)


def test_order_number_prefix_comes_from_settings(settings: Any) -> None:
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "ORDER_NUMBER_PREFIX": "LOJA"}
    assert new_order_number().startswith("LOJA-")
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "ORDER_NUMBER_PREFIX": ""}
    assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", new_order_number())


def test_order_numbers_do_not_repeat() -> None:
    assert len({new_order_number() for _ in range(2000)}) == 2000


@pytest.mark.django_db
def test_order_number_collision_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = make_order(lines=[(ProductFactory(), 1)]).number
    candidates = iter([taken, "EK-2222-3333"])
    monkeypatch.setattr(services, "new_order_number", lambda: next(candidates))
    order = services._create_order(
        buyer=UserFactory(),
        currency="AOA",
        subtotal=0,
        shipping=0,
        tax=0,
        total=0,
        shipping_address={},
    )
    assert order.number == "EK-2222-3333"
    assert numbers.GROUPS == 2
