"""POST checkout/: totals on the server, stock reservation, payment outcomes, every error code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Order, TransitionLog
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import ProductFactory, StoreFactory, VariantFactory
from tests.orders.factories import checkout_body, make_cart

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkout/"


def _money(amount: str, currency: str = "AOA") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _stock(product: Product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


def test_checkout_places_paid_order_and_empties_cart(client_for: Any, user: Any) -> None:
    first = ProductFactory(price=Money("1250.00", "AOA"), stock_quantity=5)
    second = ProductFactory(price=Money("99.50", "AOA"), stock_quantity=3)
    cart = make_cart(user, [(first, 2), (second, 3)])

    response = client_for(user).post(URL, checkout_body(), format="json")

    assert response.status_code == 201, response.data
    order_data, payment_data = response.data["order"], response.data["payment"]
    assert order_data["status"] == "confirmed"
    assert order_data["currency"] == "AOA"
    assert order_data["subtotal"] == _money("2798.50")
    assert order_data["shipping"] == _money("0.00")
    assert order_data["tax"] == _money("0.00")
    assert order_data["total"] == _money("2798.50")
    assert order_data["shipping_address"]["country"] == "AO"
    assert [
        (i["product"], i["quantity"], i["unit_price"], i["line_total"], i["store"])
        for i in order_data["items"]
    ] == [
        (first.pk, 2, _money("1250.00"), _money("2500.00"), first.store_id),
        (second.pk, 3, _money("99.50"), _money("298.50"), second.store_id),
    ]
    assert len(order_data["fulfilments"]) == 2
    assert {f["store"]["id"] for f in order_data["fulfilments"]} == {
        first.store_id,
        second.store_id,
    }
    assert all(f["status"] == "pending" for f in order_data["fulfilments"])
    assert order_data["available_transitions"] == ["cancel"]
    assert payment_data["status"] == "captured"
    assert payment_data["amount"] == _money("2798.50")
    assert order_data["payments"][0]["id"] == payment_data["id"]
    assert set(order_data) >= {"number", "created_at", "updated_at"}

    assert (_stock(first), _stock(second)) == (3, 0)
    assert not CartItem.objects.filter(cart=cart).exists()
    cart.refresh_from_db()
    assert cart.currency == ""
    order = Order.objects.get(number=order_data["number"])
    assert list(
        TransitionLog.objects.filter(order=order, subject="order").values_list(
            "transition", "source", "target", "actor"
        )
    ) == [
        ("place", "", "pending", user.pk),
        ("confirm", "pending", "confirmed", user.pk),
    ]


def test_checkout_order_keeps_price_snapshot(client_for: Any, user: Any) -> None:
    product = ProductFactory(price=Money("1000.00", "AOA"), name="Capulana")
    make_cart(user, [(product, 1)])
    number = client_for(user).post(URL, checkout_body(), format="json").data["order"]["number"]
    Product.objects.filter(pk=product.pk).update(price=Decimal("5000.00"), name="Renamed")

    item = client_for(user).get(f"/api/v1/orders/{number}/").data["items"][0]
    assert item["unit_price"] == _money("1000.00")
    assert item["product_name"] == "Capulana"


def test_checkout_ignores_prices_sent_by_the_client(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(price=Money("1000.00", "AOA")), 1)])
    body = checkout_body(
        total=_money("1.00"), subtotal=_money("1.00"), items=[{"unit_price": _money("1.00")}]
    )
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.data["order"]["total"] == _money("1000.00")


def test_checkout_uses_default_shipping_and_tax_settings(
    client_for: Any, user: Any, settings: Any
) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "DEFAULT_SHIPPING_COST": "500.00",
        "DEFAULT_TAX_RATE": "0.14",
    }
    make_cart(user, [(ProductFactory(price=Money("333.33", "AOA")), 3)])
    order = client_for(user).post(URL, checkout_body(), format="json").data["order"]
    assert order["subtotal"] == _money("999.99")
    assert order["shipping"] == _money("500.00")
    assert order["tax"] == _money("140.00")  # 139.9986 rounded half up
    assert order["total"] == _money("1639.99")


def test_checkout_uses_shipping_and_tax_hooks_first_answer(
    client_for: Any, user: Any, isolated_plugins: Any
) -> None:
    calls: list[dict[str, Any]] = []

    class Pricing:
        @hookimpl
        def calculate_shipping(self, cart: Any, address: Any, subtotal: Any) -> Money:
            calls.append({"country": address["country"], "subtotal": subtotal})
            return Money("750.00", "AOA")

        @hookimpl
        def calculate_tax(self, cart: Any, address: Any, subtotal: Any, shipping: Any) -> Money:
            return (subtotal + shipping) * Decimal("0.10")

    isolated_plugins.register(Pricing(), name="pricing")
    make_cart(user, [(ProductFactory(price=Money("1000.00", "AOA")), 2)])
    order = client_for(user).post(URL, checkout_body(), format="json").data["order"]
    assert calls == [{"country": "AO", "subtotal": Money("2000.00", "AOA")}]
    assert (order["shipping"], order["tax"], order["total"]) == (
        _money("750.00"),
        _money("275.00"),
        _money("3025.00"),
    )


def test_checkout_with_matching_expected_total_succeeds(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(price=Money("1000.00", "AOA")), 2)])
    response = client_for(user).post(
        URL, checkout_body(expected_total=_money("2000")), format="json"
    )
    assert response.status_code == 201


def test_checkout_price_changed_reserves_nothing(client_for: Any, user: Any) -> None:
    product = ProductFactory(price=Money("1000.00", "AOA"), stock_quantity=4)
    make_cart(user, [(product, 2)])
    response = client_for(user).post(
        URL, checkout_body(expected_total=_money("1800.00")), format="json"
    )
    assert response.status_code == 409
    assert response.data["code"] == "price_changed"
    assert response.data["subtotal"] == _money("2000.00")
    assert response.data["shipping"] == _money("0.00")
    assert response.data["tax"] == _money("0.00")
    assert response.data["total"] == _money("2000.00")
    assert _stock(product) == 4
    assert not Order.objects.exists()
    assert CartItem.objects.filter(cart__user=user).count() == 1


def test_checkout_expected_total_in_other_currency_is_price_changed(
    client_for: Any, user: Any
) -> None:
    make_cart(user, [(ProductFactory(price=Money("1000.00", "AOA")), 1)])
    response = client_for(user).post(
        URL, checkout_body(expected_total=_money("1000.00", "USD")), format="json"
    )
    assert response.status_code == 409
    assert response.data["code"] == "price_changed"


def test_checkout_without_cart_is_cart_empty(client_for: Any, user: Any) -> None:
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.status_code == 400
    assert response.data["code"] == "cart_empty"


def test_checkout_with_empty_cart_is_cart_empty(client_for: Any, user: Any) -> None:
    Cart.objects.create(user=user)
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.status_code == 400
    assert response.data["code"] == "cart_empty"


def test_checkout_uses_only_the_users_own_cart(client_for: Any, user: Any) -> None:
    Cart.objects.create()  # someone's anonymous cart
    other = make_cart(StoreFactory().owner, [(ProductFactory(), 1)])
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.data["code"] == "cart_empty"
    assert other.items.count() == 1


@pytest.mark.parametrize("method", ["nope", "", "stripe"])
def test_checkout_unknown_payment_method(client_for: Any, user: Any, method: str) -> None:
    product = ProductFactory(stock_quantity=3)
    make_cart(user, [(product, 1)])
    response = client_for(user).post(URL, checkout_body(payment_method=method), format="json")
    assert response.status_code == 400
    assert response.data["code"] == ("invalid" if method == "" else "unknown_payment_method")
    assert _stock(product) == 3
    assert not Order.objects.exists()


def test_checkout_unconfigured_gateway_is_unknown_payment_method(
    client_for: Any, user: Any, settings: Any
) -> None:
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": {}}
    make_cart(user, [(ProductFactory(), 1)])
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.status_code == 400
    assert response.data["code"] == "unknown_payment_method"


def test_checkout_lists_every_short_line_and_reserves_nothing(client_for: Any, user: Any) -> None:
    enough = ProductFactory(stock_quantity=5)
    short1 = ProductFactory(stock_quantity=1)
    short2 = ProductFactory(stock_quantity=0)
    make_cart(user, [(enough, 2), (short1, 3), (short2, 1)])

    response = client_for(user).post(URL, checkout_body(), format="json")

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert sorted(response.data["lines"], key=lambda line: line["product"]) == sorted(
        [
            {"product": short1.pk, "requested": 3, "available": 1},
            {"product": short2.pk, "requested": 1, "available": 0},
        ],
        key=lambda line: line["product"],
    )
    assert (_stock(enough), _stock(short1), _stock(short2)) == (5, 1, 0)
    assert not Order.objects.exists()
    assert CartItem.objects.filter(cart__user=user).count() == 3


@pytest.mark.parametrize(
    "how", ["inactive", "store_unapproved", "store_inactive", "group_inactive", "became_group"]
)
def test_checkout_with_unavailable_product_is_product_unavailable(
    client_for: Any, user: Any, how: str
) -> None:
    ok = ProductFactory(stock_quantity=5)
    gone = ProductFactory(stock_quantity=5)
    if how == "inactive":
        Product.objects.filter(pk=gone.pk).update(is_active=False)
    elif how == "store_unapproved":
        type(gone.store).objects.filter(pk=gone.store_id).update(is_approved=False)
    elif how == "store_inactive":
        type(gone.store).objects.filter(pk=gone.store_id).update(is_active=False)
    elif how == "group_inactive":
        gone = VariantFactory(parent=ProductFactory(), stock_quantity=5)
        Product.objects.filter(pk=gone.parent_id).update(is_active=False)
    else:
        VariantFactory(parent=gone)
    make_cart(user, [(ok, 1), (gone, 1)])

    response = client_for(user).post(URL, checkout_body(), format="json")

    assert response.status_code == 400
    assert response.data["code"] == "product_unavailable"
    assert response.data["lines"] == [{"product": gone.pk}]
    assert _stock(ok) == 5
    assert not Order.objects.exists()


def test_checkout_of_variant_succeeds(client_for: Any, user: Any) -> None:
    variant = VariantFactory(parent=ProductFactory(), stock_quantity=2)
    make_cart(user, [(variant, 2)])
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.status_code == 201
    assert _stock(variant) == 0


def test_checkout_with_mixed_currencies_is_currency_mismatch(client_for: Any, user: Any) -> None:
    aoa = ProductFactory(price=Money("10.00", "AOA"))
    usd = ProductFactory(price=Money("10.00", "USD"))
    make_cart(user, [(aoa, 1), (usd, 1)])
    response = client_for(user).post(URL, checkout_body(), format="json")
    assert response.status_code == 409
    assert response.data["code"] == "currency_mismatch"
    assert _stock(aoa) == 10 and _stock(usd) == 10


def test_checkout_declined_cancels_order_restores_stock_keeps_cart(
    client_for: Any, user: Any
) -> None:
    product = ProductFactory(stock_quantity=4)
    make_cart(user, [(product, 3)])

    response = client_for(user).post(
        URL, checkout_body(payment_data={"token": "tok_decline"}), format="json"
    )

    assert response.status_code == 402
    assert response.data["code"] == "payment_declined"
    order = Order.objects.get(number=response.data["order"])
    assert order.status == OrderStatus.CANCELLED
    assert all(order.fulfilments.values_list("stock_released", flat=True))
    assert set(order.fulfilments.values_list("status", flat=True)) == {FulfilmentStatus.CANCELLED}
    assert order.payments.get().status == "failed"
    assert _stock(product) == 4
    assert CartItem.objects.filter(cart__user=user).count() == 1


def test_checkout_gateway_error_keeps_order_pending_then_pay_retries(
    client_for: Any, user: Any
) -> None:
    product = ProductFactory(stock_quantity=4)
    make_cart(user, [(product, 3)])
    client = client_for(user)

    response = client.post(URL, checkout_body(payment_data={"token": "tok_error"}), format="json")

    assert response.status_code == 502
    assert response.data["code"] == "gateway_error"
    number = response.data["order"]
    order = Order.objects.get(number=number)
    assert order.status == OrderStatus.PENDING
    assert _stock(product) == 1
    assert CartItem.objects.filter(cart__user=user).count() == 1
    detail = client.get(f"/api/v1/orders/{number}/").data
    assert detail["available_transitions"] == ["cancel", "pay"]
    assert detail["payments"][0]["status"] == "failed"

    retry = client.post(
        f"/api/v1/orders/{number}/pay/",
        {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
        format="json",
    )
    assert retry.status_code == 201, retry.data
    assert retry.data["order"]["status"] == "confirmed"
    assert retry.data["payment"]["status"] == "captured"
    assert len(retry.data["order"]["payments"]) == 2
    assert _stock(product) == 1


def test_checking_out_again_after_a_gateway_error_never_holds_stock_twice(
    client_for: Any, user: Any
) -> None:
    product = ProductFactory(stock_quantity=4)
    make_cart(user, [(product, 3)])
    client = client_for(user)
    first = client.post(URL, checkout_body(payment_data={"token": "tok_error"}), format="json")
    assert first.status_code == 502
    assert _stock(product) == 1  # the first order holds 3; its lines are back in the cart

    again = client.post(URL, checkout_body(), format="json")

    assert again.status_code == 201, again.data  # 3 of 4 again: the first order gave them back
    earlier = Order.objects.get(number=first.data["order"])
    assert earlier.status == OrderStatus.CANCELLED
    assert "Superseded" in earlier.history.get(subject="order", transition="cancel").note
    assert again.data["order"]["status"] == "confirmed"
    assert _stock(product) == 1
    # An order paid meanwhile is not touched by a later checkout.
    make_cart(user, [(product, 1)])
    assert client.post(URL, checkout_body(), format="json").status_code == 201
    assert Order.objects.get(number=again.data["order"]["number"]).status == "confirmed"
    assert _stock(product) == 0


def test_checkout_pending_payment_leaves_order_pending_and_empties_cart(
    client_for: Any, user: Any
) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    response = client_for(user).post(
        URL, checkout_body(payment_data={"token": "tok_pending"}), format="json"
    )
    assert response.status_code == 201
    assert response.data["order"]["status"] == "pending"
    assert response.data["payment"]["status"] == "pending"
    assert not CartItem.objects.filter(cart__user=user).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shipping_address": {"line1": "x", "city": "y", "country": "AO"}}, "shipping_address"),
        (
            {"shipping_address": {"full_name": "A", "line1": "x", "city": "y", "country": "XX"}},
            "shipping_address",
        ),
        ({"shipping_address": "Luanda"}, "shipping_address"),
        ({"payment_data": "tok_success"}, "payment_data"),
        ({"expected_total": 1000}, "expected_total"),
        ({"expected_total": {"amount": "10.00", "currency": "XYZ"}}, "expected_total"),
        ({"expected_total": {"amount": "-1.00", "currency": "AOA"}}, "expected_total"),
    ],
)
def test_checkout_invalid_body_is_400_and_changes_nothing(
    client_for: Any, user: Any, change: dict[str, Any], field: str
) -> None:
    product = ProductFactory(stock_quantity=3)
    make_cart(user, [(product, 1)])
    response = client_for(user).post(URL, checkout_body(**change), format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert field in response.data["fields"]
    assert _stock(product) == 3


def test_checkout_country_is_normalised_to_upper_case(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    address = {"full_name": "A", "line1": "x", "city": "y", "country": "pt", "junk": "dropped"}
    response = client_for(user).post(URL, checkout_body(shipping_address=address), format="json")
    assert response.status_code == 201
    assert response.data["order"]["shipping_address"] == {
        "full_name": "A",
        "line1": "x",
        "city": "y",
        "country": "PT",
    }


def test_checkout_requires_authentication(client_for: Any) -> None:
    response = client_for(None).post(URL, checkout_body(), format="json")
    assert response.status_code in (401, 403)
    assert response.data["code"] == "not_authenticated"


def test_checkout_throttled_over_the_rate(client_for: Any, user: Any, settings: Any) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "THROTTLE_RATES": {"ecommerce_kit.checkout": "1/min"},
    }
    client = client_for(user)
    assert client.post(URL, checkout_body(), format="json").status_code == 400  # cart_empty
    response = client.post(URL, checkout_body(), format="json")
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert "Retry-After" in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/checkout/",
        "/api/v1/orders/EK-AAAA-BBBB/pay/",
        "/api/v1/orders/EK-AAAA-BBBB/cancel/",
        "/api/v1/fulfilments/1/ship/",
    ],
)
def test_order_endpoints_stay_out_of_atomic_requests(path: str) -> None:
    from django.urls import resolve

    assert "default" in getattr(resolve(path).func, "_non_atomic_requests", set())


@pytest.mark.parametrize(
    "payment_data",
    [
        {"token": "tok_success", "note": "\u0000"},
        {"token": "tok_success", "card": {"holder": ["Ana\u0000"]}},
        {"tok\u0000en": "tok_success"},
    ],
)
def test_payment_data_with_a_null_character_is_400_and_places_nothing(
    client_for: Any, user: Any, payment_data: dict[str, Any]
) -> None:
    # Payment data is stored as jsonb, which cannot hold \u0000 (it answered 500 DataError).
    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 2)])

    response = client_for(user).post(URL, checkout_body(payment_data=payment_data), format="json")

    assert response.status_code == 400, response.content
    assert response.data["code"] == "invalid"
    assert "payment_data" in response.data["fields"]
    assert not Order.objects.exists()
    assert _stock(product) == 5
    assert CartItem.objects.filter(cart__user=user).count() == 1


@pytest.mark.parametrize("token", ["tok_success", "tok_authorize", "tok_pending"])
def test_checkout_answer_is_the_order_as_read_again(client_for: Any, user: Any, token: str) -> None:
    """The answer is built from what checkout wrote and read under the order's lock; it is what
    reading the order again shows."""
    stores = [StoreFactory(), StoreFactory()]
    make_cart(user, [(ProductFactory(store=stores[n % 2]), 1 + n) for n in range(3)])
    client = client_for(user)

    response = client.post(URL, checkout_body(payment_data={"token": token}), format="json")

    assert response.status_code == 201, response.data
    detail = client.get(f"/api/v1/orders/{response.data['order']['number']}/").data
    assert response.data["order"] == detail
    assert response.data["payment"] == detail["payments"][0]


def test_checkout_answer_shows_a_cancellation_made_while_the_gateway_was_called(
    client_for: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The buyer cancels the order while its payment is under way: the capture that follows is
    given back, and the answer is the order as it is now, not as checkout wrote it."""
    from ecommerce_kit.orders.services import cancel_order
    from ecommerce_kit.payments.dummy import DummyGateway

    create_payment = DummyGateway.create_payment

    def cancel_then_pay(self: Any, *, payment: Any, **kwargs: Any) -> Any:
        cancel_order(order_id=payment.order_id, actor=user)
        return create_payment(self, payment=payment, **kwargs)

    monkeypatch.setattr(DummyGateway, "create_payment", cancel_then_pay)
    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 2)])
    client = client_for(user)

    response = client.post(URL, checkout_body(), format="json")

    assert response.status_code == 201, response.data
    order = response.data["order"]
    assert order["status"] == "cancelled"
    assert {f["status"] for f in order["fulfilments"]} == {"cancelled"}
    assert response.data["payment"]["status"] == "refunded"
    assert order == client.get(f"/api/v1/orders/{order['number']}/").data
    assert _stock(product) == 5
