"""The seller's desk in Chromium: opening a store, editing products and stock, and fulfilling
the store's part of a paid multi-store order (placed through the kit's API as the demo buyer)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

from tests.browser.pages import screenshot, sign_in
from tests.browser.site import PHONE

DEMO_STORE = "mercado-kwanza"


class Api:
    """The example site's HTTP API as one user (JWT), for setting the scene of a test."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = f"{base_url}/api/v1/"
        self.token = ""
        self.token = self.call("POST", "auth/token/", {"username": username, "password": password})[
            "access"
        ]

    @classmethod
    def new_user(cls, base_url: str, username: str) -> Api:
        password = f"{username} has a long passphrase"
        body = {"username": username, "email": f"{username}@example.com", "password": password}
        request = urllib.request.Request(  # noqa: S310
            f"{base_url}/api/v1/auth/register/",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310
            pass
        return cls(base_url, username, password)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode()}") from exc
        return json.loads(text) if text else None


def _password(username: str) -> str:
    return f"{username} has a long passphrase"


def _approved_second_store(site: Any) -> tuple[str, dict[str, Any]]:
    """A new seller with an approved store (approved by the demo admin) selling one product."""
    username = f"seller-{uuid.uuid4().hex[:8]}"
    seller = Api.new_user(site.url, username)
    store = seller.call("POST", "stores/", {"name": f"Cestaria {username[-4:]}"})
    Api(site.url, "admin", "demo-admin-pass").call("POST", f"stores/{store['slug']}/approve/")
    category = seller.call("GET", "categories/")["results"][0]
    product = seller.call(
        "POST",
        "products/",
        {
            "name": "Cesto de palha entrançada",
            "description": "Feito à mão.",
            "price": {"amount": "3500.00", "currency": "AOA"},
            "stock_quantity": 5,
            "category": category["id"],
        },
    )
    return username, product


def _demo_product(api: Api) -> dict[str, Any]:
    """A standalone product of the demo store, in stock."""
    results = api.call("GET", f"products/?store={DEMO_STORE}&in_stock=true&ordering=price")[
        "results"
    ]
    return next(p for p in results if not p["variants"])


def _paid_order(site: Any, *products: dict[str, Any]) -> str:
    """The demo buyer buys one of each product with the dummy gateway; the order's number."""
    buyer = Api(site.url, "buyer", "demo-buyer-pass")
    buyer.call("DELETE", "cart/")
    for product in products:
        buyer.call("POST", "cart/items/", {"product": product["id"], "quantity": 1})
    answer = buyer.call(
        "POST",
        "checkout/",
        {
            "shipping_address": {
                "full_name": "Ana Buyer",
                "line1": "Rua Rainha Ginga 29",
                "city": "Luanda",
                "country": "AO",
            },
            "payment_method": "dummy",
            "payment_data": {"token": "tok_success"},
        },
    )
    assert answer["order"]["status"] == "confirmed"
    return str(answer["order"]["number"])


def _press_by_keyboard(page: Any, label: str, limit: int = 40) -> None:
    """Tab from the top of the page to the control named ``label``, check its focus is visible,
    and press Enter on it."""
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == label:
            break
    else:
        raise AssertionError(f"{label!r} cannot be reached with the Tab key")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    with page.expect_navigation():
        page.keyboard.press("Enter")


# --- Opening a store -----------------------------------------------------------------------------


def test_new_seller_opens_a_store_and_sees_it_waiting_for_approval(site: Any, page: Any) -> None:
    username = f"maker-{uuid.uuid4().hex[:8]}"
    Api.new_user(site.url, username)
    page.goto("/desk/")
    assert page.url.endswith("/shop/sign-in/?next=/desk/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(_password(username))
    page.locator("main form button[type=submit]").click()

    assert page.get_by_role("heading", name="Open a store").is_visible()
    screenshot(page, "desk-open-store")
    page.get_by_label("Store name").fill("")
    page.get_by_role("button", name="Open my store").click()
    assert "This field is required." in page.locator(".field.invalid").inner_text()

    page.get_by_label("Store name").fill("Atelier da Ana")
    page.get_by_label("Description").fill("Roupa feita à medida.")
    page.get_by_label("Store name").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the keyboard sends the form

    assert "Your store “Atelier da Ana” is open." in page.locator(".messages").inner_text()
    assert page.get_by_test_id("store-state").inner_text().startswith("Waiting for approval")
    screenshot(page, "desk-home-waiting")

    page.get_by_role("link", name="My products").click()
    assert "Your store has not been approved yet." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="New product").count() == 0

    page.get_by_role("button", name="PT").click()
    assert page.get_by_role("heading", name="Balcão do vendedor").count() == 0  # products page
    assert "A sua loja ainda não foi aprovada." in page.locator("main").inner_text()
    page.get_by_role("link", name="Balcão", exact=True).click()
    assert page.get_by_test_id("store-state").inner_text().startswith("À espera de aprovação")
    page.get_by_role("button", name="EN").click()


# --- Products, variants and stock ----------------------------------------------------------------


def test_demo_seller_edits_price_and_stock_and_adds_a_variant(page: Any) -> None:
    sign_in(page, "seller", "demo-seller-pass")
    page.goto("/desk/")
    assert page.get_by_test_id("store-state").inner_text().startswith("Approved")
    screenshot(page, "desk-home")

    page.get_by_role("link", name="My products").click()
    page.get_by_label("Find a product").fill("Powerbank")
    page.get_by_role("button", name="Search").click()
    screenshot(page, "desk-products")
    page.locator("table.stacked tbody a").first.click()
    name = page.locator("h1").inner_text()

    page.get_by_label("Price").fill("0")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Ensure this amount is greater than zero." in page.locator(".field.invalid").inner_text()

    page.get_by_label("Price").fill("17250.50")
    page.get_by_label("Stock").fill("42")
    page.get_by_role("button", name="Save", exact=True).click()
    assert f"“{name}” was saved." in page.locator(".messages").inner_text()
    assert page.get_by_label("Price").input_value() == "17250.50"
    assert page.get_by_label("Stock").input_value() == "42"
    screenshot(page, "desk-product-edit")

    page.get_by_role("link", name="Add a variant").click()
    page.get_by_label("Name").fill(f"{name} Branco")
    page.get_by_label("Price").fill("17900")
    page.get_by_label("Stock").fill("6")
    page.get_by_label("Attributes").fill("cor: branco")
    screenshot(page, "desk-variant-new")
    page.get_by_role("button", name="Add the variant").click()

    assert f"The variant “{name} Branco” was added" in page.locator(".messages").inner_text()
    variants = page.get_by_role("table", name=f"Variants of {name}")
    assert f"{name} Branco" in variants.inner_text()
    assert "cor: branco" in variants.inner_text()

    # Stopping the sale asks first.
    page.get_by_role("link", name=f"Stop selling {name}").click()
    assert page.locator("h1").inner_text() == f"Stop selling {name}?"
    assert "its 1 variant leave the shop" in page.locator("main").inner_text()
    screenshot(page, "desk-product-stop")
    page.get_by_role("link", name="Keep it on sale").click()
    assert page.get_by_test_id("product-state").inner_text().startswith("On sale")

    # The shop offers the new variant at its price.
    page.get_by_role("link", name="See it in the shop").click()
    choice = page.locator(".choice", has_text=f"{name} Branco")
    assert re.search(r"17,900\.00", choice.inner_text())


def test_demo_seller_sets_a_stock_level_from_the_stock_page(page: Any) -> None:
    sign_in(page, "seller", "demo-seller-pass")
    page.goto("/desk/stock/?q=Receptor")
    row = page.locator("table.stacked tbody tr").first
    product = row.locator("a").first.inner_text()
    field = page.get_by_label(f"New stock of {product}")

    field.fill("13")
    page.get_by_role("button", name=f"Save the stock of {product}").click()

    assert f"Stock of “{product}”: 13." in page.locator(".messages").inner_text()
    assert page.get_by_label(f"New stock of {product}").input_value() == "13"
    screenshot(page, "desk-stock")


# --- Fulfilment ----------------------------------------------------------------------------------


def test_demo_seller_fulfils_only_their_part_of_a_multi_store_order(
    site: Any, new_page: Any
) -> None:
    other_seller, basket = _approved_second_store(site)
    buyer = Api(site.url, "buyer", "demo-buyer-pass")
    mine = _demo_product(buyer)
    number = _paid_order(site, mine, basket)

    page = new_page(locale="en-GB")
    sign_in(page, "seller", "demo-seller-pass")
    page.goto("/desk/fulfilments/")
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Filter").click()
    screenshot(page, "desk-fulfilments")
    page.get_by_role("link", name=number).click()

    lines = page.get_by_role("table", name="Lines of this order sold by your store")
    assert mine["name"] in lines.inner_text()
    assert "Cesto de palha" not in page.locator("main").inner_text()
    assert "3,500" not in page.locator("main").inner_text()
    assert "Rua Rainha Ginga 29" in page.locator("address").inner_text()
    assert page.get_by_test_id("fulfilment-status").inner_text() == "Pending"
    assert page.get_by_role("button", name="Mark as delivered").count() == 0
    screenshot(page, "desk-fulfilment")

    _press_by_keyboard(page, "Start processing")
    assert page.get_by_test_id("fulfilment-status").inner_text() == "Processing"
    page.get_by_label("Tracking number").fill("AO-EMS-778812")
    screenshot(page, "desk-fulfilment-ship")
    page.get_by_role("button", name="Mark as shipped").click()
    assert page.get_by_test_id("fulfilment-status").inner_text() == "Shipped"
    assert page.get_by_test_id("tracking-number").inner_text() == "AO-EMS-778812"

    page.set_viewport_size(PHONE)  # the last step at phone width
    _press_by_keyboard(page, "Mark as delivered")
    assert page.get_by_test_id("fulfilment-status").inner_text() == "Delivered"
    assert "Delivered: nothing left to do." in page.locator("main").inner_text()

    # The buyer's order: this store's part delivered with its tracking number, the other
    # store's part still pending, so the order is being processed.
    order = buyer.call("GET", f"orders/{number}/")
    parts = {f["store"]["slug"]: f for f in order["fulfilments"]}
    assert parts[DEMO_STORE]["status"] == "delivered"
    assert parts[DEMO_STORE]["tracking_number"] == "AO-EMS-778812"
    assert [f["status"] for slug, f in parts.items() if slug != DEMO_STORE] == ["pending"]
    assert order["status"] == "processing"

    # The other seller sees only their own line of the same order.
    other = new_page(locale="en-GB")
    sign_in(other, other_seller, _password(other_seller))
    other.goto("/desk/fulfilments/")
    other.get_by_role("link", name=number).click()
    text = other.locator("main").inner_text()
    assert "Cesto de palha entrançada" in text
    assert mine["name"] not in text
    assert other.get_by_role("button", name="Start processing").is_visible()
