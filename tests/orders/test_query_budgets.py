"""Query budgets: lists and details cost a fixed number of queries; checkout grows per line."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecommerce_kit.orders.states import OrderStatus
from tests.factories import ProductFactory, ShopStaffFactory, StoreFactory, UserFactory
from tests.orders.factories import checkout_body, make_cart, make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


def _orders(buyer: Any, count: int, lines: int) -> list[Any]:
    orders = []
    for _ in range(count):
        order = make_order(
            buyer=buyer,
            lines=[(ProductFactory(), 1) for _ in range(lines)],
            status=OrderStatus.CONFIRMED,
        )
        make_payment(order=order)
        orders.append(order)
    return orders


def _fresh(user: Any) -> Any:
    """``user`` as each request loads it: a new instance, without a cache of its permissions."""
    return type(user).objects.get(pk=user.pk)


def _count(call: Any) -> int:
    with CaptureQueriesContext(connection) as context:
        response = call()
    assert response.status_code in (200, 201), response.data
    return len(context.captured_queries)


def test_order_list_queries_do_not_grow_with_orders_or_lines(
    client_for: Any, django_assert_num_queries: Any
) -> None:
    small, large = UserFactory(), UserFactory()
    _orders(small, count=1, lines=1)
    _orders(large, count=6, lines=4)
    baseline = _count(lambda: client_for(small).get("/api/v1/orders/"))
    with django_assert_num_queries(baseline):
        response = client_for(large).get("/api/v1/orders/")
    assert len(response.data["results"]) == 6
    assert baseline <= 6  # count, orders, items, fulfilments with stores, payments


def test_staff_order_list_queries_are_fixed(
    client_for: Any, django_assert_num_queries: Any
) -> None:
    staff = ShopStaffFactory()
    _orders(UserFactory(), count=1, lines=1)
    baseline = _count(lambda: client_for(_fresh(staff)).get("/api/v1/orders/"))
    _orders(UserFactory(), count=5, lines=3)
    with django_assert_num_queries(baseline):
        assert len(client_for(_fresh(staff)).get("/api/v1/orders/").data["results"]) == 6
    # The order list's queries (with the payments' ledger entries, for their refunds), and the two
    # that load the staff member's permissions.
    assert baseline <= 9


def test_order_detail_queries_do_not_grow_with_lines(
    client_for: Any, django_assert_num_queries: Any
) -> None:
    buyer = UserFactory()
    small = _orders(buyer, count=1, lines=1)[0]
    large = _orders(buyer, count=1, lines=8)[0]
    make_payment(order=large)
    baseline = _count(lambda: client_for(buyer).get(f"/api/v1/orders/{small.number}/"))
    with django_assert_num_queries(baseline):
        response = client_for(buyer).get(f"/api/v1/orders/{large.number}/")
    assert len(response.data["items"]) == 8
    assert len(response.data["fulfilments"]) == 8


def test_fulfilment_list_queries_are_fixed(client_for: Any, django_assert_num_queries: Any) -> None:
    staff = ShopStaffFactory()
    _orders(UserFactory(), count=1, lines=1)
    baseline = _count(lambda: client_for(_fresh(staff)).get("/api/v1/fulfilments/"))
    _orders(UserFactory(), count=4, lines=3)
    with django_assert_num_queries(baseline):
        assert len(client_for(_fresh(staff)).get("/api/v1/fulfilments/").data["results"]) == 13


def test_seller_order_detail_queries_do_not_grow_with_other_stores_lines(
    client_for: Any, django_assert_num_queries: Any
) -> None:
    store = StoreFactory()
    small = make_order(
        lines=[(ProductFactory(store=store), 1), (ProductFactory(), 1)],
        status=OrderStatus.CONFIRMED,
    )
    make_payment(order=small)
    large = make_order(
        lines=[(ProductFactory(store=store), 1), *((ProductFactory(), 2) for _ in range(6))],
        status=OrderStatus.CONFIRMED,
    )
    make_payment(order=large)
    baseline = _count(lambda: client_for(store.owner).get(f"/api/v1/orders/{small.number}/"))
    with django_assert_num_queries(baseline):
        response = client_for(store.owner).get(f"/api/v1/orders/{large.number}/")
    assert response.data["view"] == "seller"
    assert len(response.data["items"]) == 1
    assert baseline <= 5  # order, items, fulfilments with stores, payments


def test_checkout_queries_grow_by_at_most_two_per_line(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    one, many = UserFactory(), UserFactory()
    make_cart(one, [(ProductFactory(), 1)])
    make_cart(many, [(ProductFactory(), 1) for _ in range(6)])
    baseline = _count(
        lambda: client_for(one).post("/api/v1/checkout/", checkout_body(), format="json")
    )
    with django_assert_max_num_queries(baseline + 2 * 5):
        response = client_for(many).post("/api/v1/checkout/", checkout_body(), format="json")
    assert response.status_code == 201
    assert len(response.data["order"]["items"]) == 6


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def _statements(context: CaptureQueriesContext) -> list[str]:
    """The SQL of the captured queries, transaction control left out."""
    return [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


@pytest.mark.parametrize(("lines", "stores"), [(1, 1), (3, 1), (3, 3), (6, 4)])
def test_checkout_statement_budget(client_for: Any, lines: int, stores: int) -> None:
    """A paid checkout: at most 16 statements, plus one stock update per extra line, whatever the
    number of stores in the order."""
    buyer = UserFactory()
    shops = [StoreFactory() for _ in range(stores)]
    make_cart(buyer, [(ProductFactory(store=shops[n % stores]), 1) for n in range(lines)])
    client = client_for(buyer)
    with CaptureQueriesContext(connection) as context:
        response = client.post("/api/v1/checkout/", checkout_body(), format="json")
    assert response.status_code == 201, response.data
    assert response.data["order"]["status"] == "confirmed"
    assert len(response.data["order"]["fulfilments"]) == stores
    statements = _statements(context)
    assert len(statements) <= 16 + (lines - 1), "\n".join(statements)
