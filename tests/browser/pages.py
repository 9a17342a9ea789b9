"""What the browser tests do to pages: screenshots at two widths, accessibility checks, sign-in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.site import ARTIFACTS, DESKTOP, PHONE

#: Fields without an accessible name: no <label>, aria-label, aria-labelledby or title.
_UNLABELLED = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !el.title)
  .map((el) => el.outerHTML)
"""
#: Buttons and links with no text an assistive technology could read.
_NAMELESS = """
() => Array.from(document.querySelectorAll('a[href], button'))
  .filter((el) => !(el.innerText || '').trim() && !el.getAttribute('aria-label') && !el.title)
  .map((el) => el.outerHTML)
"""


def follow(page: Any, target: Any) -> None:
    """Click ``target`` (a link or a submit button) and wait for the page it leads to."""
    with page.expect_navigation():
        target.click()


def check_page(page: Any) -> None:
    """Every field and control of ``page`` has an accessible name, and nothing overflows the
    phone width sideways."""
    assert page.evaluate(_UNLABELLED) == []
    assert page.evaluate(_NAMELESS) == []


def screenshot(page: Any, name: str) -> list[Path]:
    """Save ``page`` as ``<name>-desktop.png`` (1280×800) and ``<name>-phone.png`` (390×844),
    full length, in :data:`~tests.browser.site.ARTIFACTS` (``BROWSER_ARTIFACTS``), after checking
    its fields are labelled; at phone width nothing may stick out sideways. The page is left at
    desktop size."""
    check_page(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} is {width}px wide at {label} width"
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(DESKTOP)
    return paths


def sign_in(page: Any, username: str, password: str) -> None:
    """Sign in with the storefront's form, from wherever the page is."""
    page.goto("/shop/sign-in/")
    page.get_by_label(re.compile("^(Username|Nome de utilizador)$")).fill(username)
    page.get_by_label(re.compile("^(Password|Palavra-passe)$")).fill(password)
    follow(page, page.locator("main form button[type=submit]"))


def sign_up(page: Any, username: str) -> None:
    """Create an account with the storefront's sign-up form (the page is on the sign-up page,
    or anywhere: then it goes there)."""
    if "/shop/sign-up/" not in page.url:
        page.goto("/shop/sign-up/")
    page.locator("#id_username").fill(username)
    page.locator("#id_email").fill(f"{username}@example.com")
    page.locator("#id_password").fill("a long passphrase for the demo")
    follow(page, page.locator("main form button[type=submit]"))


#: A demo product with variants (sizes), from ``seed_demo``.
WITH_VARIANTS = "Vestido Longo em Capulana"


def open_product_with_variants(page: Any) -> str:
    """Search for :data:`WITH_VARIANTS` and open it; return its name."""
    page.goto("/shop/")
    page.locator("#search").fill("Capulana")
    follow(page, page.locator("form.search button[type=submit]"))
    follow(page, page.locator(".product-card h2 a", has_text=WITH_VARIANTS))
    return WITH_VARIANTS


def add_to_cart(page: Any, quantity: int = 1) -> None:
    """On a product page: pick the first variant in stock (if any), set ``quantity``, add."""
    variant = page.locator(".choice input:not([disabled])")
    if variant.count():
        variant.first.check()
    page.locator("#quantity").fill(str(quantity))
    follow(page, page.locator("form.buy button[type=submit]"))


ADDRESS = {
    "id_full_name": "Ana Baptista",
    "id_line1": "Rua Rainha Ginga 12",
    "id_city": "Luanda",
    "id_region": "Luanda",
    "id_phone": "+244 923 456 789",
}


def fill_address(page: Any) -> None:
    for field, value in ADDRESS.items():
        page.locator(f"#{field}").fill(value)
    page.locator("#id_country").select_option("AO")


def place_order(page: Any, payment: str) -> None:
    """On the checkout page: fill the address, choose ``payment`` (its option key), place."""
    fill_address(page)
    page.locator(f"#payment-{payment}").check()
    follow(page, page.locator("main form button.primary"))
