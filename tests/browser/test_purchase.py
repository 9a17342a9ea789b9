"""Shopping in Chromium: from an anonymous cart to a delivered, reviewed order, a declined
payment, and a payment by reference completed by the provider's webhook."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from ecommerce_kit.payments.dummy import SIGNATURE_HEADER, sign
from tests.browser.pages import (
    add_to_cart,
    fill_address,
    follow,
    open_product_with_variants,
    place_order,
    screenshot,
    sign_in,
    sign_up,
)
from tests.browser.site import WEBHOOK_SECRET, BrowserSite


def _username(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _order_number(page: Any) -> str:
    match = re.search(r"/shop/orders/([^/]+)/$", page.url)
    assert match, page.url
    return match.group(1)


def _fulfil_at_the_desk(new_page: Any, number: str) -> None:
    """The demo seller, in a browser of their own, processes, ships and delivers their part of
    order ``number`` at the seller's desk."""
    desk = new_page(locale="en-GB")
    sign_in(desk, "seller", "demo-seller-pass")
    desk.goto("/desk/fulfilments/")
    follow(desk, desk.get_by_role("link", name=number))
    assert desk.get_by_test_id("fulfilment-status").inner_text() == "Pending"
    follow(desk, desk.get_by_role("button", name="Start processing"))
    assert desk.get_by_test_id("fulfilment-status").inner_text() == "Processing"
    desk.get_by_label("Tracking number").fill("AO-TRACK-42")
    follow(desk, desk.get_by_role("button", name="Mark as shipped"))
    assert desk.get_by_test_id("fulfilment-status").inner_text() == "Shipped"
    follow(desk, desk.get_by_role("button", name="Mark as delivered"))
    assert desk.get_by_test_id("fulfilment-status").inner_text() == "Delivered"
    desk.close()


def test_purchase_from_an_anonymous_cart_to_a_delivered_reviewed_order(
    page: Any, new_page: Any
) -> None:
    # Browse: the list, a category, a search, a sort.
    page.goto("/shop/")
    screenshot(page, "products")
    first_category = page.locator(".tree > ul > li > a").first
    category = first_category.inner_text()
    follow(page, first_category)
    assert page.locator("h1").inner_text() == category
    page.locator("#search").fill("a")
    page.locator("#ordering").select_option("price")
    follow(page, page.locator("form.search button[type=submit]"))
    prices = page.locator(".product-card").count()
    assert prices > 0
    assert page.locator("#ordering").input_value() == "price"

    # A product with variants, added to the cart anonymously.
    name = open_product_with_variants(page)
    assert page.locator("h1").inner_text() == name
    assert page.locator("fieldset legend").inner_text() == "Choose a variant"
    screenshot(page, "product")
    add_to_cart(page, quantity=2)
    assert page.locator(".message.success").inner_text() == "Added to your cart."
    assert page.get_by_test_id("cart-link").inner_text().endswith("2")
    screenshot(page, "cart")

    # Checking out asks to sign in; a new shopper signs up, and the cart follows them.
    follow(page, page.get_by_role("link", name="Check out"))
    assert "/shop/sign-in/" in page.url
    follow(page, page.locator("main").get_by_role("link", name="Sign up"))
    sign_up(page, _username("shopper"))
    assert page.url.endswith("/shop/checkout/")
    assert "Your cart was merged" in page.locator(".merge-report").first.inner_text()
    total = page.get_by_test_id("total").inner_text()
    assert total.startswith("AOA") or "Kz" in total
    fill_address(page)
    screenshot(page, "checkout")
    page.locator("#payment-card").check()
    follow(page, page.locator("main form button.primary"))

    number = _order_number(page)
    assert page.get_by_test_id("order-status").inner_text() == "Confirmed"
    assert page.get_by_test_id("payment-status").inner_text() == "Captured"
    assert page.get_by_test_id("cart-link").inner_text().endswith("0")
    screenshot(page, "order-confirmed")
    assert page.get_by_role("button", name="Cancel order").is_visible()

    _fulfil_at_the_desk(new_page, number)

    page.reload()
    assert page.get_by_test_id("order-status").inner_text() == "Delivered"
    assert "AO-TRACK-42" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Cancel order").count() == 0
    review = page.locator("form.review-form")
    review.get_by_label("4 stars").check()
    review.get_by_label("Title").fill("Does the job")
    review.get_by_label("Your review").fill("Arrived quickly, works as described.")
    screenshot(page, "order-delivered")
    follow(page, review.get_by_role("button", name="Publish review"))
    assert page.locator(".message.success").inner_text() == "Thank you for your review."
    assert page.locator("form.review-form").count() == 0

    page.goto("/shop/orders/")
    assert page.get_by_role("link", name=number).is_visible()
    screenshot(page, "orders")

    # The review and the rating on the product page; the product kept in the wishlist.
    open_product_with_variants(page)
    assert "Does the job" in page.locator(".reviews").inner_text()
    assert page.locator(".distribution meter").count() == 5
    follow(page, page.get_by_role("button", name="Add to wishlist"))
    follow(page, page.get_by_role("link", name="Wishlist"))
    assert name in page.locator("main .list").inner_text()
    screenshot(page, "wishlist")


def test_declined_payment_keeps_the_cart_and_says_so(page: Any) -> None:
    sign_up(page, _username("declined"))
    open_product_with_variants(page)
    add_to_cart(page)
    page.goto("/shop/checkout/")

    place_order(page, "card-declined")

    assert page.url.endswith("/shop/checkout/")
    error = page.get_by_test_id("checkout-error").inner_text()
    assert error == "The payment was declined. Nothing was charged; your cart is as it was."
    screenshot(page, "checkout-declined")
    assert page.get_by_test_id("cart-link").inner_text().endswith("1")
    page.goto("/shop/orders/")
    assert page.locator("tbody .status").first.inner_text() == "Cancelled"


def test_reference_payment_is_completed_by_the_providers_webhook(
    page: Any, site: BrowserSite, playwright: Any
) -> None:
    sign_up(page, _username("reference"))
    open_product_with_variants(page)
    add_to_cart(page)
    page.goto("/shop/checkout/")

    place_order(page, "reference")

    assert page.get_by_test_id("order-status").inner_text() == "Pending"
    entity = page.get_by_test_id("entity").inner_text()
    reference = page.get_by_test_id("reference-number").inner_text()
    assert entity == "99999"
    assert re.fullmatch(r"\d{3} \d{3} \d{3}", reference)
    assert page.get_by_test_id("expires").inner_text()
    screenshot(page, "order-reference")

    # The test plays the provider: the buyer paid the reference, its signed webhook says so.
    amount = page.get_by_test_id("total").inner_text()
    body = json.dumps(
        {
            "event_id": f"evt-{uuid.uuid4().hex}",
            "payment_id": "ref_" + reference.replace(" ", ""),
            "type": "payment.captured",
        }
    ).encode()
    api = playwright.request.new_context(base_url=site.url)
    try:
        answer = api.post(
            "/api/v1/payments/webhooks/demo_reference/",
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET),
            },
        )
        assert answer.ok, answer.text()
        forged = api.post(
            "/api/v1/payments/webhooks/demo_reference/",
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: "sha256=00"},
        )
        assert forged.status == 400
        assert forged.json()["code"] == "invalid_signature"
    finally:
        api.dispose()

    page.reload()
    assert page.get_by_test_id("order-status").inner_text() == "Confirmed"
    assert page.get_by_test_id("payment-status").inner_text() == "Captured"
    assert page.get_by_test_id("reference").count() == 0
    assert page.get_by_test_id("total").inner_text() == amount


def test_pending_order_is_cancelled_by_its_buyer(page: Any) -> None:
    sign_up(page, _username("cancel"))
    open_product_with_variants(page)
    add_to_cart(page)
    page.goto("/shop/checkout/")
    place_order(page, "pending")
    assert page.get_by_test_id("order-status").inner_text() == "Pending"
    assert page.get_by_role("status").filter(has_text="waiting").is_visible()

    page.get_by_label("Reason (optional)").fill("Changed my mind")
    follow(page, page.get_by_role("button", name="Cancel order"))

    assert page.locator(".message.success").inner_text() == "Your order is cancelled."
    assert page.get_by_test_id("order-status").inner_text() == "Cancelled"
    assert page.get_by_role("button", name="Cancel order").count() == 0
    screenshot(page, "order-cancelled")
