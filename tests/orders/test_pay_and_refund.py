"""POST orders/{number}/pay/ (buyer, pending orders) and refund/ (staff)."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.states import OrderStatus
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db

PAY = {"payment_method": "dummy", "payment_data": {"token": "tok_success"}}


def _pay(order: Any) -> str:
    return f"/api/v1/orders/{order.number}/pay/"


def _refund(order: Any) -> str:
    return f"/api/v1/orders/{order.number}/refund/"


def test_pay_pending_order_confirms_it(client_for: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    response = client_for(order.buyer).post(_pay(order), PAY, format="json")
    assert response.status_code == 201, response.data
    assert response.data["order"]["status"] == "confirmed"
    assert response.data["payment"]["status"] == "captured"


@pytest.mark.parametrize(
    "status", [OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.CANCELLED]
)
def test_pay_not_pending_order_is_conflict(client_for: Any, status: str) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=status)
    response = client_for(order.buyer).post(_pay(order), PAY, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    assert not order.payments.exists()


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("seller", 403), ("stranger", 404)])
def test_pay_by_others_is_refused(
    client_for: Any, shop_staff: Any, who: str, expected: int
) -> None:
    product = ProductFactory()
    order = make_order(lines=[(product, 1)])
    user = {"staff": shop_staff, "seller": product.store.owner, "stranger": UserFactory()}[who]
    assert client_for(user).post(_pay(order), PAY, format="json").status_code == expected
    assert not order.payments.exists()


def test_pay_declined_cancels_order_and_restores_stock(client_for: Any) -> None:
    product = ProductFactory(stock_quantity=5)
    order = make_order(lines=[(product, 2)])
    response = client_for(order.buyer).post(
        _pay(order),
        {"payment_method": "dummy", "payment_data": {"token": "tok_decline"}},
        format="json",
    )
    assert response.status_code == 402
    assert response.data["code"] == "payment_declined"
    order.refresh_from_db(), product.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert product.stock_quantity == 5


def test_pay_gateway_error_keeps_order_pending(client_for: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    response = client_for(order.buyer).post(
        _pay(order),
        {"payment_method": "dummy", "payment_data": {"token": "tok_error"}},
        format="json",
    )
    assert response.status_code == 502
    assert response.data["code"] == "gateway_error"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"payment_method": "nope"}, "unknown_payment_method"),
        ({}, "invalid"),
        ({"payment_method": "dummy", "payment_data": []}, "invalid"),
    ],
)
def test_pay_bad_input_is_400(client_for: Any, body: dict[str, Any], code: str) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    response = client_for(order.buyer).post(_pay(order), body, format="json")
    assert response.status_code == 400
    assert response.data["code"] == code
    assert not order.payments.exists()


def test_refund_everything_by_staff(client_for: Any, shop_staff: Any) -> None:
    order = make_order(
        lines=[(ProductFactory(price=Money("1000.00", "AOA")), 1)], status=OrderStatus.DELIVERED
    )
    payment = make_payment(order=order, reference="dummy_1")
    response = client_for(shop_staff).post(_refund(order), {}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status"] == "delivered"
    assert response.data["payments"][0]["status"] == "refunded"
    assert response.data["available_transitions"] == []
    payment.refresh_from_db()
    assert payment.refunded == Money("1000.00", "AOA")


def test_partial_refunds_add_up_and_never_exceed_captured(client_for: Any, shop_staff: Any) -> None:
    order = make_order(
        lines=[(ProductFactory(price=Money("1000.00", "AOA")), 1)], status=OrderStatus.CONFIRMED
    )
    make_payment(order=order, reference="dummy_2")
    client = client_for(shop_staff)

    def refund(amount: str) -> Any:
        return client.post(
            _refund(order), {"amount": {"amount": amount, "currency": "AOA"}}, format="json"
        )

    assert refund("400.00").status_code == 200
    response = refund("600.01")
    assert response.status_code == 409
    assert response.data["code"] == "refund_exceeds_captured"
    last = refund("600.00")
    assert last.status_code == 200
    assert last.data["payments"][0]["refunded"] == {"amount": "1000.00", "currency": "AOA"}


@pytest.mark.parametrize(
    "amount",
    [
        {"amount": "10.00", "currency": "USD"},
        {"amount": "0.00", "currency": "AOA"},
        {"amount": "-5.00", "currency": "AOA"},
        "10",
    ],
)
def test_refund_bad_amount_is_400(client_for: Any, shop_staff: Any, amount: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    payment = make_payment(order=order)
    response = client_for(shop_staff).post(_refund(order), {"amount": amount}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert "amount" in response.data["fields"]
    payment.refresh_from_db()
    assert payment.status == "captured"


@pytest.mark.parametrize(
    ("who", "expected"), [("buyer", 403), ("seller", 403), ("other_seller", 404)]
)
def test_refund_by_non_staff_is_refused(client_for: Any, who: str, expected: int) -> None:
    product = ProductFactory()
    order = make_order(lines=[(product, 1)], status=OrderStatus.CONFIRMED)
    payment = make_payment(order=order)
    user = {
        "buyer": order.buyer,
        "seller": product.store.owner,
        "other_seller": StoreFactory().owner,
    }[who]
    assert client_for(user).post(_refund(order), {}, format="json").status_code == expected
    payment.refresh_from_db()
    assert payment.status == "captured"
