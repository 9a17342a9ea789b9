"""Concurrent writes to one cart: one line per product, summed quantities, no 5xx.

Real threads, each with its own database connection; run on SQLite (file database) and on
PostgreSQL (``DATABASE_URL=postgres://...``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from tests.cart.conftest import CART_URL, ITEMS_URL, MERGE_URL
from tests.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

THREADS = 8


def run_concurrently(work: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released together; return results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001  (reported by the assertions)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def anonymous_client(token: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client


def test_concurrent_adds_of_same_product_end_in_one_line():
    product = ProductFactory(stock_quantity=50)
    cart = services.create_anonymous_cart()

    def add(i: int) -> int:
        response = anonymous_client(cart.token).post(
            ITEMS_URL, {"product": product.pk, "quantity": i % 3 + 1}
        )
        return response.status_code

    statuses = run_concurrently(add)
    assert statuses == [201] * THREADS
    item = CartItem.objects.get(cart=cart)
    assert item.quantity == sum(i % 3 + 1 for i in range(THREADS))
    assert Cart.objects.get(pk=cart.pk).currency == "AOA"


def test_concurrent_adds_never_exceed_stock():
    product = ProductFactory(stock_quantity=5)
    cart = services.create_anonymous_cart()

    def add(i: int) -> tuple[int, dict]:
        response = anonymous_client(cart.token).post(ITEMS_URL, {"product": product.pk})
        return response.status_code, response.json()

    results = run_concurrently(add)
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] * 5 + [409] * (THREADS - 5)
    assert all(body["code"] == "insufficient_stock" for status, body in results if status == 409)
    assert CartItem.objects.get(cart=cart).quantity == 5


def test_concurrent_first_requests_of_a_user_share_one_cart():
    user = UserFactory()
    product = ProductFactory(stock_quantity=50)

    def add(i: int) -> int:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user=user)
        return client.post(ITEMS_URL, {"product": product.pk, "quantity": 2}).status_code

    assert run_concurrently(add) == [201] * THREADS
    assert Cart.objects.filter(user=user).count() == 1
    assert CartItem.objects.get(cart__user=user).quantity == 2 * THREADS


def test_concurrent_merges_of_one_cart_merge_it_once():
    user = UserFactory()
    product = ProductFactory(stock_quantity=50)
    source = services.create_anonymous_cart()
    services.add_item(cart=source, product_id=product.pk, quantity=3)

    def merge(i: int) -> int:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user=user)
        return client.post(MERGE_URL, {"token": source.token}).status_code

    statuses = sorted(run_concurrently(merge, n=4))
    assert statuses == [200, 404, 404, 404]
    assert CartItem.objects.get(cart__user=user).quantity == 3
    assert not Cart.objects.filter(pk=source.pk).exists()


def test_concurrent_add_and_merge_lose_nothing():
    user = UserFactory()
    product = ProductFactory(stock_quantity=50)
    source = services.create_anonymous_cart()
    services.add_item(cart=source, product_id=product.pk, quantity=1)

    def work(i: int) -> int:
        client = APIClient(raise_request_exception=False)
        if i == 0:
            client.force_authenticate(user=user)
            return client.post(MERGE_URL, {"token": source.token}).status_code
        client.force_authenticate(user=user)
        return client.post(ITEMS_URL, {"product": product.pk}).status_code

    statuses = run_concurrently(work, n=4)
    assert statuses == [200, 201, 201, 201]
    assert CartItem.objects.get(cart__user=user).quantity == 4
    assert CartItem.objects.filter(cart__user=user).count() == 1
    response = APIClient()
    response.force_authenticate(user=user)
    assert response.get(CART_URL).json()["item_count"] == 4
