"""The example site in Chromium: the landing page, the language switch, sign-up and sign-in."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.pages import follow, screenshot, sign_in


def test_landing_page_links_every_part_of_the_demo(page: Any) -> None:
    page.goto("/")

    main = page.locator("main")
    for name, href in (
        ("Storefront", "/shop/"),
        ("Seller's desk", "/desk/"),
        ("Admin", "/admin/"),
        ("API docs", "/api/docs/"),
    ):
        assert main.get_by_role("link", name=name, exact=True).get_attribute("href") == href
    logins = main.get_by_role("table")
    for credential in ("buyer", "demo-buyer-pass", "seller", "demo-seller-pass", "admin"):
        assert logins.get_by_text(credential, exact=True).count() == 1
    screenshot(page, "landing")


def test_keyboard_reaches_the_skip_link_the_nav_and_the_language_switch(page: Any) -> None:
    page.goto("/shop/")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Products" in focused
    assert any(text.startswith("Cart") for text in focused)
    assert "PT" in focused
    assert "Sign in" in focused
    # The focused control is visibly outlined.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_sign_up_signs_in_and_keeps_the_anonymous_cart(page: Any) -> None:
    page.goto("/shop/")
    follow(page, page.locator(".product-card a").first)
    product = page.locator("h1").inner_text()
    _add_first_purchasable(page)
    assert page.get_by_test_id("cart-link").inner_text().endswith("1")

    page.goto("/shop/sign-up/")
    screenshot(page, "sign-up")
    page.get_by_label("Username").fill("newshopper")
    page.get_by_label("E-mail address").fill("newshopper@example.com")
    page.get_by_label("Password").fill("short")
    follow(page, page.get_by_role("button", name="Create my account"))
    assert page.locator(".field.invalid").count() == 1
    assert "too short" in page.locator(".errors").inner_text()

    page.get_by_label("Password").fill("a long passphrase for the demo")
    follow(page, page.get_by_role("button", name="Create my account"))

    assert page.locator(".message.merge-report").inner_text().startswith("Your cart was merged")
    assert page.locator(".who").inner_text() == "newshopper"
    follow(page, page.get_by_test_id("cart-link"))
    assert product in page.locator("table.cart").inner_text()


def test_sign_in_with_a_wrong_password_says_so(page: Any) -> None:
    sign_in(page, "buyer", "not the password")

    assert page.locator(".errors").is_visible()
    assert page.locator(".who").count() == 0
    screenshot(page, "sign-in")


def test_language_switch_shows_the_shop_in_portuguese(page: Any) -> None:
    page.goto("/shop/")
    follow(page, page.get_by_role("button", name="PT"))

    assert page.locator("html").get_attribute("lang") == "pt"
    assert page.get_by_role("link", name="Produtos", exact=True).is_visible()
    assert page.get_by_label("Ordenar por").is_visible()
    follow(page, page.get_by_role("button", name="EN"))
    assert page.locator("html").get_attribute("lang") == "en"


def _add_first_purchasable(page: Any) -> None:
    """On a product page, add one of the product (its first variant in stock) to the cart."""
    variant = page.locator(".choice input:not([disabled])")
    if variant.count():
        variant.first.check()
    follow(
        page, page.get_by_role("button", name=re.compile("^(Add to cart|Adicionar ao carrinho)$"))
    )


def test_keyboard_alone_adds_a_product_to_the_cart(page: Any) -> None:
    page.goto("/shop/?search=Capulana")
    page.locator(".product-card h2 a").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("fieldset legend").inner_text() == "Choose a variant"

    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Add to cart":
            break
    else:
        raise AssertionError("Tab never reached the Add to cart button")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator("h1").inner_text() == "Your cart"
    assert page.get_by_test_id("cart-link").inner_text().endswith("1")
