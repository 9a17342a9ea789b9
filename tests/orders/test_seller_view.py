"""The seller's view of a multi-store order: their own lines, fulfilment and share, nothing more."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import Order
from ecommerce_kit.orders.states import OrderStatus
from tests.factories import ProductFactory, ShopStaffFactory, StaffFactory, StoreFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores() -> dict[str, Any]:
    mine, theirs = StoreFactory(), StoreFactory()
    return {
        "mine": mine,
        "theirs": theirs,
        "scarf": ProductFactory(store=mine, name="Capulana", price=Money("1250.00", "AOA")),
        "mat": ProductFactory(store=mine, name="Esteira", price=Money("300.00", "AOA")),
        "lamp": ProductFactory(store=theirs, name="Candeeiro", price=Money("9999.00", "AOA")),
    }


@pytest.fixture
def order(stores: dict[str, Any]) -> Order:
    order = make_order(
        lines=[(stores["scarf"], 2), (stores["lamp"], 1), (stores["mat"], 1)],
        status=OrderStatus.CONFIRMED,
    )
    make_payment(order=order, reference="dummy_seller_view")
    return order


def _detail(order: Order) -> str:
    return f"/api/v1/orders/{order.number}/"


def test_seller_sees_only_own_lines_fulfilment_and_share(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    response = client_for(stores["mine"].owner).get(_detail(order))

    assert response.status_code == 200
    data = response.data
    assert data["view"] == "seller"
    assert [item["product_name"] for item in data["items"]] == ["Capulana", "Esteira"]
    assert {item["store"] for item in data["items"]} == {stores["mine"].pk}
    assert [f["store"]["id"] for f in data["fulfilments"]] == [stores["mine"].pk]
    assert sorted(data["fulfilments"][0]["items"]) == sorted(item["id"] for item in data["items"])
    assert data["fulfilments"][0]["available_transitions"] == ["process"]
    assert data["subtotal"] == {"amount": "2800.00", "currency": "AOA"}
    assert (data["shipping"], data["tax"], data["total"]) == (None, None, None)
    assert data["payments"] == []
    assert data["available_transitions"] == []
    assert data["shipping_address"] == order.shipping_address  # needed to ship
    assert "Candeeiro" not in response.content.decode()
    assert "9999" not in response.content.decode()


def test_each_seller_sees_their_own_share(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    data = client_for(stores["theirs"].owner).get(_detail(order)).data
    assert [item["product_name"] for item in data["items"]] == ["Candeeiro"]
    assert data["subtotal"] == {"amount": "9999.00", "currency": "AOA"}
    assert [f["store"]["id"] for f in data["fulfilments"]] == [stores["theirs"].pk]


def test_buyer_and_staff_see_the_whole_order(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    for user in (order.buyer, ShopStaffFactory()):
        data = client_for(user).get(_detail(order)).data
        assert data["view"] == "full"
        assert len(data["items"]) == 3 and len(data["fulfilments"]) == 2
        assert data["subtotal"] == {"amount": "12799.00", "currency": "AOA"}
        assert data["total"] == {"amount": "12799.00", "currency": "AOA"}
        assert len(data["payments"]) == 1


def test_a_seller_who_bought_the_order_sees_it_whole(
    client_for: Any, stores: dict[str, Any]
) -> None:
    owner = stores["mine"].owner
    order = make_order(
        buyer=owner, lines=[(stores["scarf"], 1), (stores["lamp"], 1)], status=OrderStatus.CONFIRMED
    )
    data = client_for(owner).get(_detail(order)).data
    assert data["view"] == "full"
    assert len(data["items"]) == 2 and data["total"] is not None


def test_staff_seller_without_view_order_gets_the_sellers_view(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    staff_seller = StaffFactory(permissions=["ecommerce_kit_payments.view_payment"])
    stores["mine"].owner = staff_seller
    stores["mine"].save(update_fields=["owner"])
    data = client_for(staff_seller).get(_detail(order)).data
    assert data["view"] == "seller"
    assert len(data["items"]) == 2 and data["payments"] == [] and data["total"] is None


def test_fulfilment_action_answers_with_only_the_sellers_lines(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    fulfilment = order.fulfilments.get(store=stores["mine"])
    client = client_for(stores["mine"].owner)
    response = client.post(f"/api/v1/fulfilments/{fulfilment.pk}/process/")
    assert response.status_code == 200
    assert [line["product_name"] for line in response.data["lines"]] == ["Capulana", "Esteira"]
    assert "Candeeiro" not in response.content.decode()
    after = client.get(_detail(order)).data
    assert (after["status"], after["view"], len(after["items"])) == ("processing", "seller", 2)


def test_seller_order_list_holds_only_their_purchases(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    response = client_for(stores["mine"].owner).get("/api/v1/orders/")
    assert response.data["count"] == 0


def test_seller_fulfilment_list_holds_only_their_lines(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    response = client_for(stores["mine"].owner).get("/api/v1/fulfilments/")
    assert response.data["count"] == 1
    row = response.data["results"][0]
    assert row["store"]["id"] == stores["mine"].pk
    assert [line["product_name"] for line in row["lines"]] == ["Capulana", "Esteira"]
    assert set(row) == {
        "id",
        "order",
        "order_status",
        "store",
        "status",
        "tracking_number",
        "items",
        "lines",
        "shipping_address",
        "available_transitions",
        "created_at",
        "updated_at",
    }
    assert "Candeeiro" not in response.content.decode()


def test_seller_cannot_read_the_orders_payments(
    client_for: Any, stores: dict[str, Any], order: Order
) -> None:
    response = client_for(stores["mine"].owner).get(f"/api/v1/orders/{order.number}/payments/")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
