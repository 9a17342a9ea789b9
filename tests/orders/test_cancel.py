"""POST orders/{number}/cancel/: role rules, stock restored once, payments released after commit."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit import hookimpl
from ecommerce_kit.exceptions import InvalidTransitionError
from ecommerce_kit.orders.models import Fulfilment, Order, TransitionLog
from ecommerce_kit.orders.services import cancel_order
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments.services import resync_payment
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db

ALLOWED = {
    "buyer": {OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD},
    "staff": {
        OrderStatus.PENDING,
        OrderStatus.CONFIRMED,
        OrderStatus.PROCESSING,
        OrderStatus.ON_HOLD,
    },
}


def _url(order: Order) -> str:
    return f"/api/v1/orders/{order.number}/cancel/"


@pytest.mark.parametrize("role", ["buyer", "staff", "seller", "stranger"])
@pytest.mark.parametrize("status", [s.value for s in OrderStatus])
def test_cancel_allowed_and_refused_per_role(
    client_for: Any,
    shop_staff: Any,
    role: str,
    status: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(stock_quantity=10)
    order = make_order(lines=[(product, 4)], status=status, reserve=status != "cancelled")
    user = {
        "buyer": order.buyer,
        "staff": shop_staff,
        "seller": product.store.owner,
        "stranger": UserFactory(),
    }[role]

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(_url(order))

    order.refresh_from_db()
    product.refresh_from_db()
    if status in ALLOWED.get(role, set()):
        assert response.status_code == 200, response.data
        assert response.data["status"] == "cancelled"
        assert order.status == OrderStatus.CANCELLED
        assert product.stock_quantity == 10
        return
    expected = {"seller": 403, "stranger": 404}.get(role, 409)
    assert response.status_code == expected
    assert (
        response.data["code"]
        == {403: "permission_denied", 404: "not_found", 409: "transition_not_allowed"}[expected]
    )
    assert order.status == status
    assert product.stock_quantity == (10 if status == "cancelled" else 6)


def test_cancel_restores_stock_once_and_cancels_open_fulfilments(
    client_for: Any, shop_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = ProductFactory(stock_quantity=5)
    second = ProductFactory(stock_quantity=5)
    order = make_order(
        lines=[(first, 2), (second, 5)],
        status=OrderStatus.PROCESSING,
        fulfilment_status=FulfilmentStatus.PENDING,
    )
    order.fulfilments.filter(store=first.store).update(status=FulfilmentStatus.PROCESSING)
    client = client_for(shop_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(order), {"reason": "customer called"}, format="json")
        again = client.post(_url(order))

    assert response.status_code == 200
    assert again.status_code == 409
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.stock_quantity, second.stock_quantity) == (5, 5)
    assert set(order.fulfilments.values_list("status", flat=True)) == {"cancelled"}
    assert [f["status"] for f in response.data["fulfilments"]] == ["cancelled", "cancelled"]
    log = TransitionLog.objects.filter(order=order).order_by("id")
    assert [(e.subject, e.source, e.target) for e in log] == [
        ("fulfilment", "processing", "cancelled"),
        ("fulfilment", "pending", "cancelled"),
        ("order", "processing", "cancelled"),
    ]
    assert all(e.actor_id == shop_staff.pk and e.note == "customer called" for e in log)


def test_cancel_service_restores_stock_exactly_once_even_if_flag_races() -> None:
    product = ProductFactory(stock_quantity=10)
    order = make_order(lines=[(product, 3)])
    # another path gave it back
    Fulfilment.objects.filter(order=order).update(stock_released=True)
    cancel_order(order_id=order.pk, actor=None)
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_cancel_rejects_too_long_reason(client_for: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    response = client_for(order.buyer).post(_url(order), {"reason": "x" * 501}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"


def test_cancel_of_paid_order_refunds_after_commit(
    client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    captured = make_payment(order=order, reference="dummy_cap_1")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(order.buyer).post(_url(order))
    assert response.status_code == 200
    captured.refresh_from_db()
    assert captured.status == "captured"  # nothing is released before the commit
    for callback in callbacks:
        callback()
    captured.refresh_from_db()
    assert captured.status == "refunded"
    assert captured.refunded == captured.captured


def test_cancel_hooks_run_after_commit(
    client_for: Any, isolated_plugins: Any, django_capture_on_commit_callbacks: Any
) -> None:
    seen: list[tuple[str, str, str, Any]] = []

    class Observer:
        @hookimpl
        def order_status_changed(self, order: Any, source: str, target: str, actor: Any) -> None:
            seen.append(("order", source, target, actor))

        @hookimpl
        def fulfilment_status_changed(
            self, fulfilment: Any, source: str, target: str, actor: Any
        ) -> None:
            seen.append(("fulfilment", source, target, actor))

    isolated_plugins.register(Observer(), name="observer")
    order = make_order(lines=[(ProductFactory(), 1)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for(order.buyer).post(_url(order))
    assert seen == []
    for callback in callbacks:
        callback()
    assert seen == [
        ("fulfilment", "pending", "cancelled", order.buyer),
        ("order", "pending", "cancelled", order.buyer),
    ]


def test_money_held_confirms_once_and_a_cancelled_order_gives_it_back() -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    payment = make_payment(order=order)
    resync_payment(payment.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert TransitionLog.objects.filter(order=order, transition="confirm").count() == 1

    cancelled = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CANCELLED)
    late = make_payment(order=cancelled)
    cancelled.refresh_from_db()
    late.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED
    assert late.status == "refunded"


def test_system_cancel_follows_the_state_machine() -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.SHIPPED)
    with pytest.raises(InvalidTransitionError):
        cancel_order(order_id=order.pk, actor=None)
