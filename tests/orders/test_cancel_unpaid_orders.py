"""The payment timeout: pending orders older than PAYMENT_TIMEOUT are cancelled and restocked."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ecommerce_kit.orders.models import Order, TransitionLog
from ecommerce_kit.orders.services import cancel_unpaid_orders
from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.orders.tasks import cancel_unpaid_orders as cancel_unpaid_orders_task
from tests.factories import ProductFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def _age(order: Order, minutes: int) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


@pytest.fixture
def no_payment_release(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    released: list[int] = []
    monkeypatch.setattr(
        "ecommerce_kit.payments.services.on_fulfilments_cancelled",
        lambda *, order, everything, **kwargs: released.append(order.pk),
    )
    return released


def test_cancel_unpaid_orders_cancels_only_old_pending_orders(
    no_payment_release: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(stock_quantity=10)
    old = make_order(lines=[(product, 3)])
    fresh = make_order(lines=[(product, 2)])
    paid = make_order(lines=[(product, 1)], status=OrderStatus.CONFIRMED)
    _age(old, 31)
    _age(paid, 120)

    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_unpaid_orders() == 1

    for instance in (old, fresh, paid, product):
        instance.refresh_from_db()
    assert old.status == OrderStatus.CANCELLED
    assert fresh.status == OrderStatus.PENDING
    assert paid.status == OrderStatus.CONFIRMED
    assert product.stock_quantity == 10 - 2 - 1
    log = TransitionLog.objects.get(order=old, subject="order", transition="cancel")
    assert log.actor is None and "time" in log.note
    assert no_payment_release == [old.pk]

    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_unpaid_orders() == 0  # idempotent
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_cancel_unpaid_orders_honours_payment_timeout_setting(
    settings: Any, no_payment_release: Any
) -> None:
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_TIMEOUT": 300}
    order = make_order(lines=[(ProductFactory(), 1)])
    _age(order, 6)
    assert cancel_unpaid_orders() == 1


def test_cancel_unpaid_orders_task_and_command(no_payment_release: Any) -> None:
    first = make_order(lines=[(ProductFactory(), 1)])
    _age(first, 60)
    assert cancel_unpaid_orders_task.name == "ecommerce_kit.orders.cancel_unpaid_orders"
    assert cancel_unpaid_orders_task() == 1

    second = make_order(lines=[(ProductFactory(), 1)])
    _age(second, 60)
    out = StringIO()
    call_command("cancel_unpaid_orders", stdout=out)
    assert "Cancelled 1 unpaid order(s)." in out.getvalue()
    second.refresh_from_db()
    assert second.status == OrderStatus.CANCELLED
