"""Fulfilment transitions: who may apply them, in which order, and how the order follows."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.orders.models import Fulfilment, TransitionLog
from ecommerce_kit.orders.services import order_status_for
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def _url(fulfilment: Fulfilment, action: str) -> str:
    return f"/api/v1/fulfilments/{fulfilment.pk}/{action}/"


@pytest.fixture
def two_store_order() -> Any:
    first, second = ProductFactory(), ProductFactory()
    return make_order(lines=[(first, 1), (second, 2)], status=OrderStatus.CONFIRMED)


def _fulfilment(order: Any, index: int) -> Fulfilment:
    return order.fulfilments.order_by("id")[index]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pending", "pending"], "confirmed"),
        (["processing", "pending"], "processing"),
        (["shipped", "pending"], "processing"),
        (["shipped", "processing"], "processing"),
        (["shipped", "delivered"], "shipped"),
        (["shipped", "shipped"], "shipped"),
        (["delivered", "delivered"], "delivered"),
    ],
)
def test_order_status_for_follows_fulfilments(statuses: list[str], expected: str) -> None:
    assert order_status_for(statuses) == expected


def test_fulfilment_lifecycle_by_store_owner_moves_order_along(
    client_for: Any, two_store_order: Any
) -> None:
    first, second = _fulfilment(two_store_order, 0), _fulfilment(two_store_order, 1)
    owner1, owner2 = client_for(first.store.owner), client_for(second.store.owner)

    response = owner1.post(_url(first, "process"))
    assert response.status_code == 200, response.data
    assert response.data["status"] == "processing"
    assert response.data["available_transitions"] == ["ship"]
    two_store_order.refresh_from_db()
    assert two_store_order.status == OrderStatus.PROCESSING

    response = owner1.post(_url(first, "ship"), {"tracking_number": "TRK-1"}, format="json")
    assert response.status_code == 200
    assert response.data["tracking_number"] == "TRK-1"
    two_store_order.refresh_from_db()
    assert two_store_order.status == OrderStatus.PROCESSING  # the second store has not shipped

    assert owner2.post(_url(second, "process")).status_code == 200
    assert owner2.post(_url(second, "ship")).status_code == 200
    two_store_order.refresh_from_db()
    assert two_store_order.status == OrderStatus.SHIPPED

    assert owner1.post(_url(first, "deliver")).status_code == 200
    two_store_order.refresh_from_db()
    assert two_store_order.status == OrderStatus.SHIPPED
    assert owner2.post(_url(second, "deliver")).status_code == 200
    two_store_order.refresh_from_db()
    assert two_store_order.status == OrderStatus.DELIVERED

    order_log = list(
        TransitionLog.objects.filter(order=two_store_order, subject="order").values_list(
            "source", "target"
        )
    )
    assert order_log == [
        ("confirmed", "processing"),
        ("processing", "shipped"),
        ("shipped", "delivered"),
    ]
    assert TransitionLog.objects.filter(order=two_store_order, subject="fulfilment").count() == 6
    assert (
        TransitionLog.objects.filter(
            subject_id=first.pk, subject="fulfilment", actor=first.store.owner
        ).count()
        == 3
    )


def test_fulfilment_transition_by_staff_is_allowed(
    client_for: Any, shop_staff: Any, two_store_order: Any
) -> None:
    fulfilment = _fulfilment(two_store_order, 0)
    assert client_for(shop_staff).post(_url(fulfilment, "process")).status_code == 200


@pytest.mark.parametrize("who", ["other_seller", "buyer", "stranger"])
def test_fulfilment_transition_by_others_is_not_found(
    client_for: Any, two_store_order: Any, who: str
) -> None:
    fulfilment = _fulfilment(two_store_order, 0)
    user = {
        "other_seller": lambda: _fulfilment(two_store_order, 1).store.owner,
        "buyer": lambda: two_store_order.buyer,
        "stranger": UserFactory,
    }[who]()
    response = client_for(user).post(_url(fulfilment, "process"))
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PENDING


def test_fulfilment_transition_anonymous_is_refused(client_for: Any, two_store_order: Any) -> None:
    response = client_for(None).post(_url(_fulfilment(two_store_order, 0), "process"))
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    ("fulfilment_status", "action"),
    [
        ("pending", "ship"),
        ("pending", "deliver"),
        ("processing", "process"),
        ("processing", "deliver"),
        ("shipped", "process"),
        ("shipped", "ship"),
        ("delivered", "deliver"),
    ],
)
def test_fulfilment_transition_out_of_order_is_conflict(
    client_for: Any, fulfilment_status: str, action: str
) -> None:
    order = make_order(
        lines=[(ProductFactory(), 1)],
        status=OrderStatus.PROCESSING,
        fulfilment_status=fulfilment_status,
    )
    fulfilment = _fulfilment(order, 0)
    response = client_for(fulfilment.store.owner).post(_url(fulfilment, action))
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    fulfilment.refresh_from_db()
    assert fulfilment.status == fulfilment_status


@pytest.mark.parametrize("order_status", [OrderStatus.PENDING, OrderStatus.CANCELLED])
def test_fulfilment_of_unpaid_or_cancelled_order_cannot_start(
    client_for: Any, order_status: str
) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=order_status)
    fulfilment = _fulfilment(order, 0)
    response = client_for(fulfilment.store.owner).post(_url(fulfilment, "process"))
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"


def test_fulfilment_ship_rejects_too_long_tracking_number(client_for: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PROCESSING)
    fulfilment = _fulfilment(order, 0)
    response = client_for(fulfilment.store.owner).post(
        _url(fulfilment, "ship"), {"tracking_number": "X" * 101}, format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert "tracking_number" in response.data["fields"]


def test_fulfilment_transition_unknown_id_is_not_found(client_for: Any, staff: Any) -> None:
    assert client_for(staff).post("/api/v1/fulfilments/999999/process/").status_code == 404
    assert client_for(staff).post("/api/v1/fulfilments/abc/process/").status_code == 404


def test_fulfilment_hooks_run_after_commit(
    client_for: Any, isolated_plugins: Any, django_capture_on_commit_callbacks: Any
) -> None:
    seen: list[tuple[str, str, str]] = []

    class Observer:
        from ecommerce_kit import hookimpl

        @hookimpl
        def fulfilment_status_changed(
            self, fulfilment: Any, source: str, target: str, actor: Any
        ) -> None:
            seen.append(("fulfilment", source, target))

        @hookimpl
        def order_status_changed(self, order: Any, source: str, target: str, actor: Any) -> None:
            seen.append(("order", source, target))

    isolated_plugins.register(Observer(), name="observer")
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    fulfilment = _fulfilment(order, 0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(fulfilment.store.owner).post(_url(fulfilment, "process"))
    assert response.status_code == 200
    assert seen == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert seen == [("fulfilment", "pending", "processing"), ("order", "confirmed", "processing")]


def test_fulfilment_list_is_scoped_to_own_store(client_for: Any, shop_staff: Any) -> None:
    store = StoreFactory()
    mine = make_order(lines=[(ProductFactory(store=store), 1)], status=OrderStatus.CONFIRMED)
    make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)

    response = client_for(store.owner).get("/api/v1/fulfilments/")
    assert response.status_code == 200
    assert response.data["count"] == 1
    row = response.data["results"][0]
    assert row["order"] == mine.number
    assert row["store"] == {"id": store.pk, "slug": store.slug, "name": store.name}
    assert row["available_transitions"] == ["process"]
    assert row["items"] == [item.pk for item in mine.items.all()]
    assert row["lines"][0]["product_name"] == mine.items.get().product_name

    assert client_for(shop_staff).get("/api/v1/fulfilments/").data["count"] == 2
    assert client_for(UserFactory()).get("/api/v1/fulfilments/").data["count"] == 0


def test_fulfilment_list_filters_by_status(client_for: Any, shop_staff: Any) -> None:
    make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.SHIPPED)
    client = client_for(shop_staff)
    assert client.get("/api/v1/fulfilments/?status=shipped").data["count"] == 1
    response = client.get("/api/v1/fulfilments/?status=lost")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
