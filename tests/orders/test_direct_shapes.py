"""The kit's order and payment serializers write their shape directly; a subclass goes through
DRF's loop over the declared fields. Both must give the same answer, to every viewer."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money
from rest_framework.test import APIRequestFactory, force_authenticate

from ecommerce_kit.orders.models import Order
from ecommerce_kit.orders.selectors import get_visible_order
from ecommerce_kit.orders.serializers import (
    CheckoutResultSerializer,
    OrderFulfilmentSerializer,
    OrderItemSerializer,
    OrderSerializer,
)
from ecommerce_kit.payments.serializers import PaymentRefundSerializer, PaymentSerializer
from tests.factories import ProductFactory, ShopStaffFactory, StoreFactory, UserFactory
from tests.orders.factories import checkout_body, make_cart

pytestmark = pytest.mark.django_db


class OrderThroughFields(OrderSerializer):
    pass


class PaymentThroughFields(PaymentSerializer):
    pass


class RefundThroughFields(PaymentRefundSerializer):
    pass


class ItemThroughFields(OrderItemSerializer):
    pass


class FulfilmentThroughFields(OrderFulfilmentSerializer):
    pass


class ResultThroughFields(CheckoutResultSerializer):
    pass


def _context(user: Any) -> dict[str, Any]:
    request = APIRequestFactory().get("/api/v1/orders/")
    if user is not None:
        force_authenticate(request, user=user)
        request.user = user
    from rest_framework.request import Request

    return {"request": Request(request)} if user is not None else {}


@pytest.fixture
def orders(client_for: Any) -> list[Order]:
    """Orders in several states: captured and partly refunded, authorised, pending a reference,
    declined, partly cancelled (two stores)."""
    mine, theirs = StoreFactory(), StoreFactory()
    scarf = ProductFactory(store=mine, price=Money("1250.00", "AOA"), stock_quantity=50)
    lamp = ProductFactory(store=theirs, price=Money("9999.00", "AOA"), stock_quantity=50)
    staff = ShopStaffFactory()
    numbers = []
    for token in ("tok_success", "tok_authorize", "tok_pending", "tok_decline", "tok_success"):
        buyer = UserFactory()
        make_cart(buyer, [(scarf, 2), (lamp, 1)])
        body = checkout_body(payment_data={"token": token})
        response = client_for(buyer).post("/api/v1/checkout/", body, format="json")
        assert response.status_code == (402 if token == "tok_decline" else 201), response.data
        numbers.append(response.data["order"]["number"] if token != "tok_decline" else None)
    refund = {"amount": {"amount": "400.00", "currency": "AOA"}}
    response = client_for(staff).post(f"/api/v1/orders/{numbers[0]}/refund/", refund, format="json")
    assert response.status_code == 200, response.data
    response = client_for(staff).post(f"/api/v1/orders/{numbers[4]}/cancel/", {}, format="json")
    assert response.status_code == 200, response.data
    declined = Order.objects.exclude(number__in=numbers).get()
    return [Order.objects.get(number=number) if number else declined for number in numbers]


def test_direct_order_shape_is_the_declared_fields_shape(orders: list[Order]) -> None:
    staff = ShopStaffFactory()
    checked = 0
    for order in orders:
        seller_mine, seller_theirs = (f.store.owner for f in order.fulfilments.order_by("id"))
        for user in (order.buyer, seller_mine, seller_theirs, staff, UserFactory(), None):
            fresh = get_visible_order(user, order.number) if user is not None else None
            fresh = fresh or get_visible_order(staff, order.number)
            context = _context(user)
            direct = OrderSerializer(fresh, context=context).data
            through = OrderThroughFields(fresh, context=context).data
            assert direct == through
            assert list(direct) == list(through)
            for payment in fresh.payments.all():
                assert PaymentSerializer(payment).data == PaymentThroughFields(payment).data
                for entry in payment.entries.all():
                    assert PaymentRefundSerializer(entry).data == RefundThroughFields(entry).data
            for item in fresh.items.all():
                assert OrderItemSerializer(item).data == ItemThroughFields(item).data
            for fulfilment in fresh.fulfilments.all():
                assert (
                    OrderFulfilmentSerializer(fulfilment, context=context).data
                    == FulfilmentThroughFields(fulfilment, context=context).data
                )
            result = {"order": fresh, "payment": fresh.payments.first()}
            assert (
                CheckoutResultSerializer(result, context=context).data
                == ResultThroughFields(result, context=context).data
            )
            checked += 1
    assert checked == 30
    refunded = OrderSerializer(orders[0], context=_context(orders[0].buyer)).data
    assert refunded["payments"][0]["refunds"][0]["amount"] == {
        "amount": "400.00",
        "currency": "AOA",
    }
