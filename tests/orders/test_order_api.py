"""GET orders/ and orders/{number}/: who sees what, filters, pagination, available transitions."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.orders.states import OrderStatus
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


def _detail(order: Any) -> str:
    return f"/api/v1/orders/{order.number}/"


def test_order_list_shows_own_orders_newest_first(client_for: Any, user: Any) -> None:
    older = make_order(buyer=user, lines=[(ProductFactory(), 1)])
    newer = make_order(buyer=user, lines=[(ProductFactory(), 1)])
    make_order(lines=[(ProductFactory(), 1)])  # someone else's

    response = client_for(user).get("/api/v1/orders/")

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [o["number"] for o in response.data["results"]] == [newer.number, older.number]
    assert set(response.data) == {"count", "next", "previous", "results"}


def test_order_list_for_staff_shows_every_order(client_for: Any, shop_staff: Any) -> None:
    make_order(lines=[(ProductFactory(), 1)])
    make_order(lines=[(ProductFactory(), 1)])
    assert client_for(shop_staff).get("/api/v1/orders/").data["count"] == 2


def test_order_list_for_seller_shows_only_bought_orders(client_for: Any) -> None:
    store = StoreFactory()
    make_order(lines=[(ProductFactory(store=store), 1)])
    assert client_for(store.owner).get("/api/v1/orders/").data["count"] == 0


def test_order_list_filters_by_status(client_for: Any, user: Any) -> None:
    make_order(buyer=user, lines=[(ProductFactory(), 1)])
    make_order(buyer=user, lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    client = client_for(user)
    response = client.get("/api/v1/orders/?status=confirmed")
    assert [o["status"] for o in response.data["results"]] == ["confirmed"]
    bad = client.get("/api/v1/orders/?status=paid")
    assert bad.status_code == 400
    assert bad.data["code"] == "invalid"
    assert "status" in bad.data["fields"]


def test_order_list_is_paginated(client_for: Any, user: Any) -> None:
    product = ProductFactory(stock_quantity=100)
    for _ in range(3):
        make_order(buyer=user, lines=[(product, 1)])
    client = client_for(user)
    page = client.get("/api/v1/orders/?page_size=2").data
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert len(client.get("/api/v1/orders/?page_size=2&page=2").data["results"]) == 1
    assert client.get("/api/v1/orders/?page_size=101").status_code == 400
    assert client.get("/api/v1/orders/?page=9").status_code == 404


def test_order_list_requires_authentication(client_for: Any) -> None:
    assert client_for(None).get("/api/v1/orders/").status_code in (401, 403)


def test_order_detail_shape(client_for: Any, user: Any) -> None:
    first, second = ProductFactory(), ProductFactory()
    order = make_order(buyer=user, lines=[(first, 2), (second, 1)], status=OrderStatus.CONFIRMED)
    payment = make_payment(order=order)

    data = client_for(user).get(_detail(order)).data

    assert list(data) == [
        "number",
        "view",
        "status",
        "currency",
        "items",
        "subtotal",
        "shipping",
        "tax",
        "total",
        "charge_status",
        "authorize_status",
        "charged",
        "refunded",
        "held",
        "due",
        "hold_reason",
        "shipping_address",
        "fulfilments",
        "payments",
        "available_transitions",
        "created_at",
        "updated_at",
    ]
    assert (data["charge_status"], data["authorize_status"]) == ("full", "full")
    assert data["held"] == data["due"] == data["total"]
    assert data["hold_reason"] == ""
    items = {item["product"]: item for item in data["items"]}
    assert set(items[first.pk]) == {
        "id",
        "product",
        "product_name",
        "unit_price",
        "quantity",
        "line_total",
        "store",
    }
    assert items[first.pk]["quantity"] == 2
    fulfilments = {f["store"]["id"]: f for f in data["fulfilments"]}
    assert fulfilments[first.store_id]["items"] == [items[first.pk]["id"]]
    assert fulfilments[second.store_id]["store"] == {
        "id": second.store_id,
        "slug": second.store.slug,
        "name": second.store.name,
    }
    assert set(fulfilments[first.store_id]) >= {"id", "store", "status", "tracking_number", "items"}
    assert [p["id"] for p in data["payments"]] == [payment.pk]
    assert set(data["payments"][0]) == {
        "id",
        "gateway",
        "status",
        "amount",
        "authorized",
        "captured",
        "refunded",
        "refund_pending",
        "refunds",
        "next_action",
        "created_at",
    }


def test_order_detail_visible_to_buyer_staff_and_sellers_in_it(
    client_for: Any, shop_staff: Any
) -> None:
    product = ProductFactory()
    order = make_order(lines=[(product, 1)], status=OrderStatus.CONFIRMED)
    make_payment(order=order)

    assert client_for(order.buyer).get(_detail(order)).status_code == 200
    assert client_for(shop_staff).get(_detail(order)).data["payments"] != []
    seller_view = client_for(product.store.owner).get(_detail(order))
    assert seller_view.status_code == 200
    assert seller_view.data["payments"] == []
    assert seller_view.data["available_transitions"] == []
    assert seller_view.data["fulfilments"][0]["available_transitions"] == ["process"]


@pytest.mark.parametrize("who", ["stranger", "other_seller", "anonymous"])
def test_order_detail_hidden_from_others(client_for: Any, who: str) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    user = {
        "stranger": UserFactory,
        "other_seller": lambda: StoreFactory().owner,
        "anonymous": lambda: None,
    }[who]()
    response = client_for(user).get(_detail(order))
    assert response.status_code == (404 if user else 401)


def test_order_detail_unknown_number_is_404(client_for: Any, staff: Any) -> None:
    response = client_for(staff).get("/api/v1/orders/EK-0000-0000/")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


@pytest.mark.parametrize(
    ("status", "buyer_actions", "staff_actions"),
    [
        (OrderStatus.PENDING, ["cancel", "pay"], ["cancel"]),
        (OrderStatus.CONFIRMED, ["cancel"], ["cancel", "refund"]),
        (OrderStatus.PROCESSING, [], ["cancel", "refund"]),
        (OrderStatus.SHIPPED, [], ["refund"]),
        (OrderStatus.DELIVERED, [], ["refund"]),
        (OrderStatus.CANCELLED, [], []),
    ],
)
def test_available_transitions_per_role_and_status(
    client_for: Any,
    shop_staff: Any,
    status: str,
    buyer_actions: list[str],
    staff_actions: list[str],
) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=status)
    if status not in (OrderStatus.PENDING, OrderStatus.CANCELLED):
        make_payment(order=order)
    assert (
        client_for(order.buyer).get(_detail(order)).data["available_transitions"] == buyer_actions
    )
    assert client_for(shop_staff).get(_detail(order)).data["available_transitions"] == staff_actions


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "payments/"),
        ("post", "cancel/"),
        ("post", "pay/"),
        ("post", "refund/"),
    ],
)
def test_order_number_with_a_null_character_is_404_without_a_query(
    client_for: Any, staff: Any, method: str, suffix: str, django_assert_num_queries: Any
) -> None:
    # PostgreSQL cannot compare text holding a NUL byte: such a number must never reach the
    # database (it answered 500 DataError).
    client = client_for(staff)
    with django_assert_num_queries(0):
        response = getattr(client, method)(f"/api/v1/orders/EK%00-0000/{suffix}", format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
