"""The storefront's pages with Django's test client: the rules the kit enforces, shown in words.

(The whole journey runs in a real browser in ``tests/browser``.)
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from moneyed import Money

from ecommerce_kit.cart.models import Cart
from ecommerce_kit.orders.models import Order
from ecommerce_kit.payments import dummy
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.plugins import get_plugin_manager
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec-storefront"
ADDRESS = {"full_name": "Ana", "line1": "Rua 1", "city": "Luanda", "country": "AO"}


@pytest.fixture(autouse=True)
def storefront_site(settings: Any) -> None:
    """The example's sign-in URL and payment gateways (dummy and demo_reference)."""
    settings.LOGIN_URL = "storefront:sign-in"
    settings.LOGIN_REDIRECT_URL = "storefront:home"
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {
            "dummy": {"webhook_secret": SECRET},
            "demo_reference": {"webhook_secret": SECRET},
        },
        "PLUGINS": ["demo.gateways"],
    }
    get_plugin_manager.cache_clear()


def _messages(response: Any) -> list[str]:
    return re.findall(r'<li class="message[^"]*">([^<]*)</li>', response.content.decode())


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _checkout(client: Client, payment: str) -> Any:
    page = client.get("/shop/checkout/").content.decode()
    total = re.search(r'name="expected_total" value="([^"]+)"', page).group(1)
    return client.post(
        "/shop/checkout/",
        {**ADDRESS, "payment": payment, "expected_total": total, "expected_currency": "AOA"},
    )


def test_sign_in_merges_the_anonymous_cart_and_reports_what_was_left_out():
    user = UserFactory(username="ana")
    kept, gone = ProductFactory(name="Kept"), ProductFactory(name="Gone")
    client = Client()
    for product in (kept, gone):
        client.post("/shop/cart/add/", {"product": product.pk, "quantity": 1})
    gone.is_active = False
    gone.save()

    response = client.post(
        "/shop/sign-in/", {"username": "ana", "password": "pass-1234-secret"}, follow=True
    )

    assert _messages(response)[-2:] == [
        "Your cart was merged: 1 product moved to your account&#x27;s cart.",
        "Left out of your cart (no longer available or out of stock): Gone.",
    ]
    assert list(Cart.objects.get(user=user).items.values_list("product_id", flat=True)) == [kept.pk]


def test_kit_errors_are_shown_in_the_shoppers_language():
    product = ProductFactory(stock_quantity=2)
    client = Client(HTTP_ACCEPT_LANGUAGE="pt")

    response = client.post(
        "/shop/cart/add/", {"product": product.pk, "quantity": 3, "back": "/shop/"}, follow=True
    )

    assert _messages(response) == ["Stock insuficiente."]
    assert Cart.objects.get().items.count() == 0


def test_back_address_off_the_site_is_ignored():
    product = ProductFactory(stock_quantity=0)

    response = Client().post(
        "/shop/cart/add/",
        {"product": product.pk, "quantity": 1, "back": "//evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/shop/cart/"


def test_checkout_needs_a_signed_in_shopper():
    response = Client().get("/shop/checkout/")

    assert response.status_code == 302
    assert response["Location"] == "/shop/sign-in/?next=/shop/checkout/"


def test_declined_payment_cancels_the_order_and_keeps_the_cart():
    user = UserFactory()
    product = ProductFactory(stock_quantity=5)
    client = _signed_in(user)
    client.post("/shop/cart/add/", {"product": product.pk, "quantity": 2})

    response = _checkout(client, "card-declined")

    assert response.status_code == 200
    assert "Nothing was charged; your cart is as it was." in response.content.decode()
    assert Order.objects.get(buyer=user).status == "cancelled"
    assert Cart.objects.get(user=user).items.get().quantity == 2
    product.refresh_from_db()
    assert product.stock_quantity == 5


def test_changed_price_is_reported_not_charged():
    user = UserFactory()
    product = ProductFactory(price=Money(Decimal("100.00"), "AOA"))
    client = _signed_in(user)
    client.post("/shop/cart/add/", {"product": product.pk, "quantity": 1})
    page = client.get("/shop/checkout/").content.decode()
    shown = re.search(r'name="expected_total" value="([^"]+)"', page).group(1)
    product.price = Money(Decimal("120.00"), "AOA")
    product.save()

    response = client.post(
        "/shop/checkout/",
        {**ADDRESS, "payment": "card", "expected_total": shown, "expected_currency": "AOA"},
    )

    assert "Check the new totals below" in response.content.decode()
    assert not Order.objects.exists()


def test_pending_payment_is_confirmed_by_the_gateways_webhook():
    user = UserFactory()
    client = _signed_in(user)
    client.post("/shop/cart/add/", {"product": ProductFactory().pk, "quantity": 1})
    response = _checkout(client, "pending")
    order = Order.objects.get(buyer=user)
    assert response["Location"] == f"/shop/orders/{order.number}/"
    assert "waiting for the provider" in client.get(response["Location"]).content.decode()

    # The provider names the payment by its reference, shown on the order page.
    reference = re.search(
        r'data-testid="payment-reference">([^<]+)<',
        client.get(f"/shop/orders/{order.number}/").content.decode(),
    ).group(1)
    assert reference == Payment.objects.get(order=order).reference
    body = json.dumps(
        {"event_id": "evt-1", "payment_id": reference, "type": "payment.captured"}
    ).encode()
    answer = Client().post(
        "/api/v1/payments/webhooks/dummy/",
        body,
        content_type="application/json",
        headers={dummy.SIGNATURE_HEADER: dummy.sign(body, SECRET)},
    )

    assert answer.status_code == 200
    page = client.get(f"/shop/orders/{order.number}/").content.decode()
    assert 'data-testid="order-status">Confirmed<' in page


def test_reference_payment_shows_what_to_pay():
    user = UserFactory()
    client = _signed_in(user)
    client.post("/shop/cart/add/", {"product": ProductFactory().pk, "quantity": 1})

    response = _checkout(client, "reference")

    page = client.get(response["Location"]).content.decode()
    payment = Payment.objects.get(order__buyer=user)
    assert f'data-testid="entity">{payment.next_action["entity"]}<' in page
    assert f'data-testid="reference-number">{payment.next_action["reference"]}<' in page
    assert payment.reference == "ref_" + payment.next_action["reference"].replace(" ", "")
    assert "<br>Angola</address>" in page


def test_another_shoppers_order_is_not_found():
    owner, other = UserFactory(), UserFactory()
    client = _signed_in(owner)
    client.post("/shop/cart/add/", {"product": ProductFactory().pk, "quantity": 1})
    _checkout(client, "card")
    number = Order.objects.get(buyer=owner).number

    other_client = _signed_in(other)
    assert other_client.get(f"/shop/orders/{number}/").status_code == 404
    assert other_client.post(f"/shop/orders/{number}/cancel/").status_code == 404
    assert Order.objects.get(number=number).status == "confirmed"


def test_review_before_delivery_is_refused_in_words():
    user = UserFactory()
    product = ProductFactory()
    client = _signed_in(user)
    client.post("/shop/cart/add/", {"product": product.pk, "quantity": 1})
    _checkout(client, "card")
    order = Order.objects.get(buyer=user)
    page = client.get(f"/shop/orders/{order.number}/").content.decode()
    assert "review-form" not in page

    item = order.items.get()
    response = client.post(
        f"/shop/orders/{order.number}/items/{item.pk}/review/",
        {f"item-{item.pk}-rating": "5"},
        follow=True,
    )

    assert _messages(response) == [
        "Only buyers with a delivered order of this product may review it."
    ]
    assert not product.reviews.exists()


def test_product_list_filters_by_rating_through_variants_and_reports_bad_filters():
    group = ProductFactory(name="Shirt")
    VariantFactory(parent=group, name="Shirt M")
    ProductFactory(name="Unrated")

    listed = Client().get("/shop/?min_rating=4").content.decode()
    bad = Client().get("/shop/?min_price=-1").content.decode()

    assert "Shirt" not in listed and "Unrated" not in listed
    assert 'class="errors"' in bad


def test_sign_out_is_a_post_back_to_the_shop(settings):
    settings.LOGOUT_REDIRECT_URL = "storefront:home"
    client = _signed_in(UserFactory())

    assert client.get("/shop/sign-out/").status_code == 405
    response = client.post("/shop/sign-out/")

    assert response.status_code == 302
    assert response["Location"] == "/shop/"
    assert client.get("/shop/orders/")["Location"].startswith("/shop/sign-in/")


def test_a_group_is_listed_from_its_cheapest_variant_and_offers_its_active_variants():
    group = ProductFactory(name="Shirt", slug="shirt")
    VariantFactory(parent=group, name="Shirt M", price=Money(Decimal("900.00"), "AOA"))
    VariantFactory(parent=group, name="Shirt L", price=Money(Decimal("700.00"), "AOA"))
    VariantFactory(parent=group, name="Shirt XL", is_active=False)

    listed = Client().get("/shop/").content.decode()
    page = Client().get("/shop/products/shirt/").content.decode()

    assert re.search(r"from AOA\s*700\.00", listed), listed
    assert "Shirt M" in page and "Shirt L" in page
    assert "Shirt XL" not in page
