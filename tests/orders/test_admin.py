"""The orders admin: read-only pages, and transition buttons and actions through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ecommerce_kit.orders.models import Fulfilment, Order, TransitionLog
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import ProductFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


def _change(order: Order) -> str:
    return reverse("admin:ecommerce_kit_orders_order_change", args=[order.pk])


def _action(order: Order, name: str) -> str:
    return reverse("admin:ecommerce_kit_orders_order_action", args=[order.pk, name])


def _fulfilment_action(order: Order, fulfilment: Fulfilment, name: str) -> str:
    return reverse(
        "admin:ecommerce_kit_orders_order_fulfilment_action", args=[order.pk, fulfilment.pk, name]
    )


def test_order_change_page_shows_lines_fulfilments_payments_history_and_buttons(
    admin_client: Any,
) -> None:
    product = ProductFactory(name="Capulana azul")
    order = make_order(lines=[(product, 2)], status=OrderStatus.CONFIRMED)
    make_payment(order=order, reference="dummy_ref_42")
    TransitionLog.objects.create(
        order=order,
        subject="order",
        subject_id=order.pk,
        transition="confirm",
        source="pending",
        target="confirmed",
        note="paid by webhook",
    )

    response = admin_client.get(_change(order))

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Capulana azul", "dummy_ref_42", "paid by webhook", order.number):
        assert text in html
    assert _action(order, "cancel") in html
    assert _action(order, "refund") in html
    fulfilment = order.fulfilments.get()
    assert _fulfilment_action(order, fulfilment, "process") in html
    assert _fulfilment_action(order, fulfilment, "ship") not in html


def test_order_change_page_hides_buttons_that_do_not_apply(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.DELIVERED)
    html = admin_client.get(_change(order)).content.decode()
    assert _action(order, "cancel") not in html
    assert "/fulfilments/" not in html


def test_admin_cancel_button_goes_through_the_service(
    admin_client: Any, admin_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(stock_quantity=10)
    order = make_order(lines=[(product, 4)], status=OrderStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_action(order, "cancel"), {"note": "out of stock"})
    assert response.status_code == 302
    order.refresh_from_db(), product.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert product.stock_quantity == 10
    log = TransitionLog.objects.get(order=order, subject="order")
    assert (log.actor_id, log.note) == (admin_user.pk, "out of stock")


def test_admin_refused_transition_shows_an_error(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.SHIPPED)
    response = admin_client.post(_action(order, "cancel"), follow=True)
    assert response.status_code == 200
    assert "not allowed" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_admin_action_urls_accept_only_post_and_known_names(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    assert admin_client.get(_action(order, "cancel")).status_code == 405
    assert admin_client.post(_action(order, "explode")).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_admin_refund_button_refunds_through_the_gateway(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    payment = make_payment(order=order, reference="dummy_9")
    assert admin_client.post(_action(order, "refund")).status_code == 302
    payment.refresh_from_db()
    assert payment.status == "refunded"


def test_admin_fulfilment_buttons_move_fulfilment_and_order(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    fulfilment = order.fulfilments.get()
    admin_client.post(_fulfilment_action(order, fulfilment, "process"))
    admin_client.post(_fulfilment_action(order, fulfilment, "ship"), {"tracking_number": "TRK-77"})
    fulfilment.refresh_from_db(), order.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.SHIPPED
    assert fulfilment.tracking_number == "TRK-77"
    assert order.status == OrderStatus.SHIPPED


def test_admin_is_read_only(admin_client: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    assert admin_client.get(reverse("admin:ecommerce_kit_orders_order_add")).status_code == 403
    assert (
        admin_client.get(
            reverse("admin:ecommerce_kit_orders_order_delete", args=[order.pk])
        ).status_code
        == 403
    )


def test_admin_changelist_cancel_action(
    admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cancellable = make_order(lines=[(ProductFactory(), 1)])
    shipped = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:ecommerce_kit_orders_order_changelist"),
            {"action": "cancel_selected", "_selected_action": [cancellable.pk, shipped.pk]},
            follow=True,
        )
    assert response.status_code == 200
    cancellable.refresh_from_db(), shipped.refresh_from_db()
    assert cancellable.status == OrderStatus.CANCELLED
    assert shipped.status == OrderStatus.SHIPPED
    assert (
        admin_client.get(reverse("admin:ecommerce_kit_orders_order_changelist")).status_code == 200
    )


def test_admin_fulfilment_changelist_actions(admin_client: Any) -> None:
    order = make_order(
        lines=[(ProductFactory(), 1), (ProductFactory(), 1)], status=OrderStatus.CONFIRMED
    )
    ids = list(order.fulfilments.values_list("pk", flat=True))
    url = reverse("admin:ecommerce_kit_orders_fulfilment_changelist")
    admin_client.post(url, {"action": "process_selected", "_selected_action": ids})
    admin_client.post(url, {"action": "ship_selected", "_selected_action": ids})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert admin_client.get(url).status_code == 200


def test_admin_unknown_or_malformed_order_ids_are_not_found(admin_client: Any) -> None:
    assert admin_client.post(_action(Order(pk=999999), "cancel")).status_code == 404
    assert (
        admin_client.post("/admin/ecommerce_kit_orders/order/abc/actions/cancel/").status_code
        == 404
    )
    response = admin_client.get("/admin/ecommerce_kit_orders/order/abc/change/")
    assert response.status_code in (302, 404)  # the admin redirects with "does not exist"
