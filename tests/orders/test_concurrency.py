"""Real concurrency: threads with their own connections, on SQLite (serialized) and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from rest_framework.test import APIClient

from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Fulfilment, Order, TransitionLog
from ecommerce_kit.orders.services import cancel_unpaid_orders
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments.models import Payment
from tests.factories import ProductFactory, ShopStaffFactory, UserFactory
from tests.orders.factories import checkout_body, make_cart, make_order
from tests.orders.threads import run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _post(user: Any, url: str, body: Any = None, **headers: Any) -> tuple[int, Any]:
    response = _client(user).post(url, body, format="json", **headers)
    return response.status_code, response.json()


def _assert_no_errors(results: list[Any]) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert all(status < 500 for status, _body in results), results


def test_fifty_concurrent_checkouts_never_oversell() -> None:
    product = ProductFactory(stock_quantity=10)
    buyers = UserFactory.create_batch(50)
    for buyer in buyers:
        make_cart(buyer, [(product, 1)])

    results = run_together(
        [lambda buyer=buyer: _post(buyer, "/api/v1/checkout/", checkout_body()) for buyer in buyers]
    )

    _assert_no_errors(results)
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 10, 409: 40}
    conflicts = [body for status, body in results if status == 409]
    assert all(body["code"] == "insufficient_stock" for body in conflicts)
    assert all(
        body["lines"] == [{"product": product.pk, "requested": 1, "available": 0}]
        for body in conflicts
    )
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert Order.objects.count() == 10
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CONFIRMED}
    assert Payment.objects.filter(status="captured").count() == 10


def test_same_idempotency_key_from_ten_concurrent_requests_makes_one_order() -> None:
    product = ProductFactory(stock_quantity=10)
    buyer = UserFactory()
    make_cart(buyer, [(product, 2)])

    results = run_together(
        [
            lambda: _post(
                buyer, "/api/v1/checkout/", checkout_body(), HTTP_IDEMPOTENCY_KEY="double-click"
            )
            for _ in range(10)
        ]
    )

    _assert_no_errors(results)
    assert {status for status, _body in results} == {201}
    assert len({body["order"]["number"] for _status, body in results}) == 1
    assert all(body == results[0][1] for _status, body in results)
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 8


def test_two_concurrent_cancels_restore_stock_once() -> None:
    product = ProductFactory(stock_quantity=10)
    order = make_order(lines=[(product, 4)], status=OrderStatus.CONFIRMED)
    staff = ShopStaffFactory()

    results = run_together(
        [
            lambda: _post(order.buyer, f"/api/v1/orders/{order.number}/cancel/"),
            lambda: _post(staff, f"/api/v1/orders/{order.number}/cancel/"),
        ]
    )

    _assert_no_errors(results)
    assert sorted(status for status, _body in results) == [200, 409]
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert (
        TransitionLog.objects.filter(order=order, subject="order", transition="cancel").count() == 1
    )


def test_cancel_racing_the_payment_timeout_restores_stock_once() -> None:
    from datetime import timedelta

    from django.utils import timezone

    product = ProductFactory(stock_quantity=10)
    order = make_order(lines=[(product, 3)])
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=2))

    results = run_together(
        [
            lambda: _post(order.buyer, f"/api/v1/orders/{order.number}/cancel/"),
            cancel_unpaid_orders,
        ]
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    api_status, timeout_count = results[0][0], results[1]
    assert (api_status, timeout_count) in ((200, 0), (409, 1))
    product.refresh_from_db()
    assert product.stock_quantity == 10
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_sibling_fulfilments_shipping_together_move_order_to_shipped() -> None:
    first, second = ProductFactory(), ProductFactory()
    order = make_order(
        lines=[(first, 1), (second, 1)],
        status=OrderStatus.PROCESSING,
        fulfilment_status=FulfilmentStatus.PROCESSING,
    )
    fulfilments = list(Fulfilment.objects.filter(order=order).select_related("store"))

    results = run_together(
        [lambda f=f: _post(f.store.owner, f"/api/v1/fulfilments/{f.pk}/ship/") for f in fulfilments]
    )

    _assert_no_errors(results)
    assert [status for status, _body in results] == [200, 200]
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    ships = TransitionLog.objects.filter(order=order, subject="order", transition="ship")
    assert ships.count() == 1


def test_concurrent_checkouts_of_two_products_in_opposite_orders_do_not_deadlock() -> None:
    a, b = ProductFactory(stock_quantity=20), ProductFactory(stock_quantity=20)
    buyers = UserFactory.create_batch(10)
    for index, buyer in enumerate(buyers):
        make_cart(buyer, [(a, 1), (b, 1)] if index % 2 else [(b, 1), (a, 1)])

    results = run_together(
        [lambda buyer=buyer: _post(buyer, "/api/v1/checkout/", checkout_body()) for buyer in buyers]
    )

    _assert_no_errors(results)
    assert {status for status, _body in results} == {201}
    assert list(
        Product.objects.filter(pk__in=[a.pk, b.pk]).values_list("stock_quantity", flat=True)
    ) == [10, 10]
