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
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
