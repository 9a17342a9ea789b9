from __future__ import annotations

from typing import Any

import pluggy
import pytest

from ecommerce_kit.payments.dummy import DummyGateway
from ecommerce_kit.payments.states import PaymentStatus
from tests.factories import UserFactory
from tests.payments.factories import make_order, make_payment
from tests.payments.helpers import GatewayPlugin

pytestmark = pytest.mark.django_db


class Multicaixa(DummyGateway):
    id = "mcx"
    name = "Multicaixa"
    flow = "reference"
    currencies = ("AOA",)


def test_payment_methods_lists_configured_gateways(
    client_for: Any, gateways_config: dict[str, Any], isolated_plugins: pluggy.PluginManager
) -> None:
    isolated_plugins.register(GatewayPlugin(Multicaixa()), name="mcx")
    gateways_config["mcx"] = {}
    response = client_for(None).get("/api/v1/payment-methods/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "dummy",
            "name": "Dummy gateway",
            "currencies": ["AOA", "USD", "EUR"],
            "flow": "immediate",
        },
        {"id": "mcx", "name": "Multicaixa", "currencies": ["AOA"], "flow": "reference"},
    ]
    usd = client_for(None).get("/api/v1/payment-methods/?currency=USD").json()
    assert [m["id"] for m in usd] == ["dummy"]


def test_payment_methods_is_empty_without_configuration(client_for: Any) -> None:
    assert client_for(None).get("/api/v1/payment-methods/").json() == []


@pytest.mark.parametrize("currency", ["XXX", "usd", "DOLLARS"])
def test_payment_methods_rejects_unknown_currency(
    client_for: Any, currency: str, gateways_config: dict[str, Any]
) -> None:
    response = client_for(None).get(f"/api/v1/payment-methods/?currency={currency}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "currency" in body["fields"]


def test_order_payments_for_buyer(client_for: Any) -> None:
    order = make_order(total="1250.00")
    payment = make_payment(order=order, status=PaymentStatus.PENDING)
    payment.next_action = {"type": "redirect", "url": "https://pay.example/p/1"}
    payment.save()
    make_payment(order=order)
    response = client_for(order.buyer).get(f"/api/v1/orders/{order.number}/payments/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    first = body["results"][0]
    assert set(first) == {
        "id",
        "gateway",
        "status",
        "amount",
        "authorized",
        "captured",
        "refunded",
        "refund_pending",
        "refunds",
        "next_action",
        "created_at",
    }
    assert first["amount"] == {"amount": "1250.00", "currency": "AOA"}
    assert first["captured"] == {"amount": "0.00", "currency": "AOA"}
    assert first["next_action"] == {"type": "redirect", "url": "https://pay.example/p/1"}
    assert body["results"][1]["status"] == "captured"
    assert body["results"][1]["next_action"] is None


def test_order_payments_for_staff(client_for: Any, shop_staff: Any) -> None:
    payment = make_payment()
    response = client_for(shop_staff).get(f"/api/v1/orders/{payment.order.number}/payments/")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_order_payments_of_someone_else_is_404(client_for: Any) -> None:
    payment = make_payment()
    seller = payment.order.items.get().store.owner
    for user in (UserFactory(), seller):
        response = client_for(user).get(f"/api/v1/orders/{payment.order.number}/payments/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for(UserFactory()).get("/api/v1/orders/EK-NOPE/payments/").status_code == 404


def test_order_payments_needs_authentication(client_for: Any) -> None:
    payment = make_payment()
    response = client_for(None).get(f"/api/v1/orders/{payment.order.number}/payments/")
    assert response.status_code in (401, 403)


def test_order_payments_query_count_is_fixed(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    order = make_order()
    for _ in range(5):
        make_payment(order=order, status=PaymentStatus.FAILED)
    client = client_for(order.buyer)
    with django_assert_max_num_queries(4):  # the order, the count, the page, their refunds
        response = client.get(f"/api/v1/orders/{order.number}/payments/")
    assert response.json()["count"] == 5
