"""Each store's owner is e-mailed about their own part of a paid order, once."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import Fulfilment
from ecommerce_kit.plugins import get_plugin_manager
from tests.emails.helpers import committed, place_order
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def test_each_store_of_a_multi_store_order_gets_its_own_email(mailoutbox: Any) -> None:
    kwanza, lua = StoreFactory(name="Loja Kwanza"), StoreFactory(name="Loja Lua")
    mug = ProductFactory(store=kwanza, name="Caneca", price=Money("1250.00", "AOA"))
    plate = ProductFactory(store=kwanza, name="Prato", price=Money("300.00", "AOA"))
    lamp = ProductFactory(store=lua, name="Candeeiro", price=Money("9000.00", "AOA"))
    buyer = UserFactory()

    order = place_order(buyer, [(mug, 2), (plate, 1), (lamp, 1)])

    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert set(by_recipient) == {buyer.email, kwanza.owner.email, lua.owner.email}
    first, second = by_recipient[kwanza.owner.email], by_recipient[lua.owner.email]
    assert first.subject == f"New order {order.number} for Loja Kwanza"
    assert "- 2 × Caneca: AOA2,500.00" in first.body and "- 1 × Prato: AOA300.00" in first.body
    assert "Items total: AOA2,800.00" in first.body and "Candeeiro" not in first.body
    assert second.subject == f"New order {order.number} for Loja Lua"
    assert "- 1 × Candeeiro: AOA9,000.00" in second.body and "Caneca" not in second.body
    assert "Items total: AOA9,000.00" in second.body
    # The buyer's confirmation lists everything.
    assert all(name in by_recipient[buyer.email].body for name in ("Caneca", "Prato", "Candeeiro"))
    fulfilments = sorted(order.fulfilments.values_list("pk", flat=True))
    assert sorted(
        order.emails.filter(kind="fulfilment_due").values_list("subject_id", flat=True)
    ) == (fulfilments)


def test_sellers_are_not_emailed_again_when_the_order_is_confirmed_again(
    mailoutbox: Any,
) -> None:
    order = place_order(UserFactory(), [(ProductFactory(), 1), (ProductFactory(), 1)])
    sent = len(mailoutbox)

    # Money held again after the order was on hold: confirmed a second time.
    with committed():
        get_plugin_manager().hook.order_status_changed(
            order=order, source="on_hold", target="confirmed", actor=None
        )

    assert sent == 3 and len(mailoutbox) == 3


def test_a_store_whose_part_was_cancelled_is_not_told_to_ship_it(mailoutbox: Any) -> None:
    first, second = ProductFactory(), ProductFactory()
    order = make_order(lines=[(first, 1), (second, 1)])
    Fulfilment.objects.filter(order=order, store=second.store).update(status="cancelled")

    with committed():
        get_plugin_manager().hook.order_status_changed(
            order=order, source="pending", target="confirmed", actor=None
        )

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [order.buyer.email, first.store.owner.email]
    )
