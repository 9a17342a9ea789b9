"""The orders admin: each button and action needs its permission; view-only staff get none."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ecommerce_kit.orders.models import Fulfilment, Order, TransitionLog
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import ProductFactory, StaffFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db

VIEW_ONLY = (
    "ecommerce_kit_orders.view_order",
    "ecommerce_kit_orders.view_fulfilment",
    "ecommerce_kit_payments.view_payment",
)
ORDERS = reverse("admin:ecommerce_kit_orders_order_changelist")
FULFILMENTS = reverse("admin:ecommerce_kit_orders_fulfilment_changelist")


def _client(*grants: str) -> Client:
    client = Client()
    client.force_login(StaffFactory(permissions=[*VIEW_ONLY, *grants]))
    return client


def _change(order: Order) -> str:
    return reverse("admin:ecommerce_kit_orders_order_change", args=[order.pk])


def _action(order: Order, name: str) -> str:
    return reverse("admin:ecommerce_kit_orders_order_action", args=[order.pk, name])


def _fulfilment_action(order: Order, fulfilment: Fulfilment, name: str) -> str:
    return reverse(
        "admin:ecommerce_kit_orders_order_fulfilment_action", args=[order.pk, fulfilment.pk, name]
    )


@pytest.fixture
def paid_order() -> Order:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    make_payment(order=order, reference=f"dummy_{order.pk}")
    return order


def _actions(response: Any) -> set[str]:
    form = response.context["action_form"]
    return set() if form is None else {name for name, _label in form.fields["action"].choices}


# --- View-only staff ----------------------------------------------------------------------------


def test_view_only_staff_see_pages_but_no_buttons(paid_order: Order) -> None:
    response = _client().get(_change(paid_order))
    assert response.status_code == 200
    html = response.content.decode()
    assert paid_order.number in html
    fulfilment = paid_order.fulfilments.get()
    for url in (
        _action(paid_order, "cancel"),
        _action(paid_order, "refund"),
        _fulfilment_action(paid_order, fulfilment, "process"),
    ):
        assert url not in html


def test_view_only_staff_see_no_changelist_actions(paid_order: Order) -> None:
    client = _client()
    orders = client.get(ORDERS)
    fulfilments = client.get(FULFILMENTS)
    assert (orders.status_code, fulfilments.status_code) == (200, 200)
    assert _actions(orders) == set() and _actions(fulfilments) == set()
    assert "cancel_selected" not in orders.content.decode()
    assert "process_selected" not in fulfilments.content.decode()


@pytest.mark.parametrize("name", ["cancel", "refund"])
def test_view_only_staff_forged_button_posts_are_refused(paid_order: Order, name: str) -> None:
    response = _client().post(_action(paid_order, name), {"note": "forged"})
    assert response.status_code == 403
    paid_order.refresh_from_db()
    payment = paid_order.payments.get()
    assert (paid_order.status, payment.status) == (OrderStatus.CONFIRMED, "captured")
    assert not TransitionLog.objects.filter(order=paid_order).exclude(subject="payment").exists()


@pytest.mark.parametrize("name", ["process", "ship", "deliver"])
def test_view_only_staff_forged_fulfilment_posts_are_refused(paid_order: Order, name: str) -> None:
    fulfilment = paid_order.fulfilments.get()
    response = _client().post(_fulfilment_action(paid_order, fulfilment, name))
    assert response.status_code == 403
    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PENDING


def test_view_only_staff_forged_changelist_actions_change_nothing(paid_order: Order) -> None:
    client = _client()
    fulfilment = paid_order.fulfilments.get()
    client.post(ORDERS, {"action": "cancel_selected", "_selected_action": [paid_order.pk]})
    client.post(FULFILMENTS, {"action": "process_selected", "_selected_action": [fulfilment.pk]})
    paid_order.refresh_from_db(), fulfilment.refresh_from_db()
    assert (paid_order.status, fulfilment.status) == (OrderStatus.CONFIRMED, "pending")
    assert not TransitionLog.objects.filter(order=paid_order).exclude(subject="payment").exists()


# --- One permission, one set of buttons --------------------------------------------------------


@pytest.mark.parametrize(
    ("grant", "shown", "hidden"),
    [
        ("ecommerce_kit_orders.cancel_order", {"cancel"}, {"refund", "process"}),
        ("ecommerce_kit_payments.refund_payment", {"refund"}, {"cancel", "process"}),
        ("ecommerce_kit_orders.manage_fulfilment", {"process"}, {"cancel", "refund"}),
    ],
)
def test_each_permission_shows_its_own_buttons(
    paid_order: Order, grant: str, shown: set[str], hidden: set[str]
) -> None:
    html = _client(grant).get(_change(paid_order)).content.decode()
    fulfilment = paid_order.fulfilments.get()
    urls = {
        "cancel": _action(paid_order, "cancel"),
        "refund": _action(paid_order, "refund"),
        "process": _fulfilment_action(paid_order, fulfilment, "process"),
    }
    assert {name for name, url in urls.items() if url in html} == shown
    assert not {name for name, url in urls.items() if url in html} & hidden


def test_staff_with_cancel_order_cancels_from_button_and_changelist(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = _client("ecommerce_kit_orders.cancel_order")
    first = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PROCESSING)
    second = make_order(lines=[(ProductFactory(), 1)])
    assert "cancel_selected" in _actions(client.get(ORDERS))

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_action(first, "cancel"), {"note": "phoned"}).status_code == 302
        client.post(ORDERS, {"action": "cancel_selected", "_selected_action": [second.pk]})

    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)


def test_staff_with_cancel_order_still_cannot_refund(paid_order: Order) -> None:
    response = _client("ecommerce_kit_orders.cancel_order").post(_action(paid_order, "refund"))
    assert response.status_code == 403
    assert paid_order.payments.get().status == "captured"


def test_staff_with_refund_payment_refunds_from_the_button(paid_order: Order) -> None:
    client = _client("ecommerce_kit_payments.refund_payment")
    assert client.post(_action(paid_order, "refund")).status_code == 302
    assert paid_order.payments.get().status == "refunded"
    assert client.post(_action(paid_order, "cancel")).status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.CONFIRMED


def test_staff_with_manage_fulfilment_moves_fulfilments(paid_order: Order) -> None:
    client = _client("ecommerce_kit_orders.manage_fulfilment")
    fulfilment = paid_order.fulfilments.get()
    assert {"process_selected", "ship_selected", "deliver_selected"} <= _actions(
        client.get(FULFILMENTS)
    )
    assert "cancel_selected" not in _actions(client.get(ORDERS))

    client.post(_fulfilment_action(paid_order, fulfilment, "process"))
    client.post(FULFILMENTS, {"action": "ship_selected", "_selected_action": [fulfilment.pk]})

    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.SHIPPED
