"""Cancelling gives back only what was not delivered.

A cancellation (buyer, seller, staff, payment timeout) cancels only the fulfilments that have not
shipped; stock comes back only for their lines; the refund is their share (their lines plus their
part of shipping and tax, in proportion to their lines' value) unless staff choose an amount.
"""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import Fulfilment, Order
from ecommerce_kit.orders.services import share_of
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments.models import LedgerEntry
from ecommerce_kit.payments.services import capture_payment
from ecommerce_kit.payments.states import PaymentStatus
from tests.factories import ProductFactory, StoreFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db


def _aoa(amount: str) -> Money:
    return Money(amount, "AOA")


@pytest.fixture
def two_stores(db: Any) -> tuple[Any, Any]:
    first = ProductFactory(store=StoreFactory(), price=_aoa("100.00"), stock_quantity=10)
    second = ProductFactory(store=StoreFactory(), price=_aoa("250.00"), stock_quantity=10)
    return first, second


def _order(two_stores: tuple[Any, Any], **money: str) -> Order:
    first, second = two_stores
    order = make_order(lines=[(first, 1), (second, 2)], status=OrderStatus.CONFIRMED)
    if money:
        Order.objects.filter(pk=order.pk).update(
            **{name: _aoa(value) for name, value in money.items()}
        )
        order.refresh_from_db()
    return order


def _fulfilment(order: Order, product: Any) -> Fulfilment:
    return order.fulfilments.get(store=product.store)


def _stock(product: Any) -> int:
    product.refresh_from_db()
    return product.stock_quantity


def test_share_is_the_lines_plus_their_part_of_shipping_and_tax(two_stores: Any) -> None:
    first, second = two_stores
    order = _order(two_stores, shipping="60.00", tax="140.00", total="800.00")
    # 500 of a 600 subtotal: 500 + 60 * 5/6 + 140 * 5/6 = 500 + 50 + 116.67
    assert share_of(order, [_fulfilment(order, second).pk]) == _aoa("666.67")
    assert share_of(order, [_fulfilment(order, first).pk]) == _aoa("133.33")
    assert share_of(order, [f.pk for f in order.fulfilments.all()]) == order.total


def test_staff_cancel_of_a_half_shipped_order_gives_back_only_what_did_not_ship(
    client_for: Any, shop_staff: Any, two_stores: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order)
    Fulfilment.objects.filter(pk=_fulfilment(order, first).pk).update(
        status=FulfilmentStatus.SHIPPED
    )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROCESSING)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(shop_staff).post(
            f"/api/v1/orders/{order.number}/cancel/", {"reason": "out of stock"}, format="json"
        )

    assert response.status_code == 200, response.data
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # what shipped goes on
    assert _fulfilment(order, first).status == FulfilmentStatus.SHIPPED
    assert _fulfilment(order, second).status == FulfilmentStatus.CANCELLED
    assert (_stock(first), _stock(second)) == (9, 10)  # only the unshipped lines came back
    assert payment.refunded == _aoa("500.00") and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.reason, refund.state) == ("cancellation", "succeeded")
    assert order.cancelled_amount == _aoa("500.00")
    assert order.due == order.held == _aoa("100.00")
    assert order.charge_status == "full"


def test_staff_may_choose_the_refund_of_cancelled_goods(
    client_for: Any, shop_staff: Any, two_stores: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, _second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order)
    Fulfilment.objects.filter(pk=_fulfilment(order, first).pk).update(
        status=FulfilmentStatus.SHIPPED
    )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROCESSING)
    body = {"refund": {"amount": "300.00", "currency": "AOA"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(shop_staff).post(
            f"/api/v1/orders/{order.number}/cancel/", body, format="json"
        )
    assert response.status_code == 200, response.data
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.refunded == _aoa("300.00")
    assert order.due == order.held == _aoa("300.00")


def test_the_buyer_cannot_choose_a_refund(client_for: Any, two_stores: Any) -> None:
    order = _order(two_stores)
    make_payment(order=order)
    body = {"refund": {"amount": "1.00", "currency": "AOA"}}
    response = client_for(order.buyer).post(
        f"/api/v1/orders/{order.number}/cancel/", body, format="json"
    )
    assert response.status_code == 403 and response.data["code"] == "permission_denied"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


@pytest.mark.parametrize("currency", ["USD", "XXX"])
def test_a_refund_in_another_currency_is_400(
    client_for: Any, shop_staff: Any, two_stores: Any, currency: str
) -> None:
    order = _order(two_stores)
    make_payment(order=order)
    body = {"refund": {"amount": "1.00", "currency": currency}}
    response = client_for(shop_staff).post(
        f"/api/v1/orders/{order.number}/cancel/", body, format="json"
    )
    assert response.status_code == 400 and response.data["code"] == "invalid"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_a_seller_cancels_their_part_and_the_order_goes_on(
    client_for: Any, two_stores: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order)
    seller = second.store.owner
    fulfilment = _fulfilment(order, second)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(seller).post(
            f"/api/v1/fulfilments/{fulfilment.pk}/cancel/", {"reason": "sold out"}, format="json"
        )

    assert response.status_code == 200, response.data
    assert response.data["status"] == "cancelled"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert _stock(second) == 10 and _stock(first) == 9
    assert payment.refunded == _aoa("500.00")
    # The other store's seller may not touch it.
    other = client_for(first.store.owner).post(f"/api/v1/fulfilments/{fulfilment.pk}/cancel/")
    assert other.status_code == 404
    # Cancelling the last part cancels the order and gives back the rest.
    last = _fulfilment(order, first)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(first.store.owner).post(f"/api/v1/fulfilments/{last.pk}/cancel/")
    assert response.status_code == 200, response.data
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded == _aoa("600.00")


def test_a_shipped_part_cannot_be_cancelled(client_for: Any, two_stores: Any) -> None:
    first, _second = two_stores
    order = _order(two_stores)
    make_payment(order=order)
    fulfilment = _fulfilment(order, first)
    Fulfilment.objects.filter(pk=fulfilment.pk).update(status=FulfilmentStatus.SHIPPED)
    response = client_for(first.store.owner).post(f"/api/v1/fulfilments/{fulfilment.pk}/cancel/")
    assert response.status_code == 409 and response.data["code"] == "transition_not_allowed"
    assert _stock(first) == 9


def test_an_authorization_of_a_half_cancelled_order_captures_what_is_owed(
    shop_staff: Any, two_stores: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ecommerce_kit.orders.services import cancel_fulfilment

    first, second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order, status=PaymentStatus.AUTHORIZED)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_fulfilment(fulfilment_id=_fulfilment(order, second).pk, actor=shop_staff)
    order.refresh_from_db()
    assert order.due == _aoa("100.00") and order.status == OrderStatus.CONFIRMED

    payment = capture_payment(payment_id=payment.pk, actor=shop_staff)

    order.refresh_from_db()
    assert payment.captured == _aoa("100.00")
    assert payment.authorized == _aoa("0.00") and payment.voided == _aoa("500.00")
    assert order.held == order.due == _aoa("100.00")
    assert order.charge_status == "full"


def test_a_chosen_refund_above_what_is_refundable_is_409_and_cancels_nothing(
    client_for: Any, shop_staff: Any, two_stores: Any
) -> None:
    first, second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order)
    fulfilment = _fulfilment(order, second)
    body = {"refund": {"amount": "600.01", "currency": "AOA"}}
    response = client_for(shop_staff).post(
        f"/api/v1/fulfilments/{fulfilment.pk}/cancel/", body, format="json"
    )
    assert response.status_code == 409, response.data
    assert response.data["code"] == "refund_exceeds_captured"
    assert response.data["refundable"] == {"amount": "600.00", "currency": "AOA"}
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PENDING and order.status == OrderStatus.CONFIRMED
    assert _stock(second) == 8 and payment.refund_pending == _aoa("0.00")
    assert order.cancelled_amount == _aoa("0.00")


def test_a_part_cancelled_after_a_whole_staff_refund_leaves_nothing_owed_not_less(
    client_for: Any, shop_staff: Any, two_stores: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Staff refund everything, then cancel one store's part: the order is owed nothing (as when
    the part is cancelled first), never a negative amount."""
    first, second = two_stores
    order = _order(two_stores)
    payment = make_payment(order=order)
    staff = client_for(shop_staff)
    with django_capture_on_commit_callbacks(execute=True):
        refunded = staff.post(f"/api/v1/orders/{order.number}/refund/", {}, format="json")
    assert refunded.status_code == 200, refunded.data
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/api/v1/fulfilments/{_fulfilment(order, second).pk}/cancel/", {}, format="json"
        )

    assert response.status_code == 200, response.data
    order.refresh_from_db()
    payment.refresh_from_db()
    assert payment.refunded == _aoa("600.00")
    assert order.due == _aoa("0.00")
    assert order.held >= order.due
    detail = staff.get(f"/api/v1/orders/{order.number}/")
    assert detail.data["due"] == {"amount": "0.00", "currency": "AOA"}
    assert (_stock(first), _stock(second)) == (9, 10)
