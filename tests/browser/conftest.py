"""Fixtures of the browser tests: the example site, Chromium, and a page that fails the test on
any console error or uncaught exception.

Every test here is marked ``browser``. They are skipped (with the reason) when Chromium or
Playwright is missing, and fail instead under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.site import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    DESKTOP,
    BrowserSite,
    require_browser,
)

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_api() -> Any:
    return require_browser()


@pytest.fixture(scope="session")
def site(playwright_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSite]:
    """The example site with the demo data, one for the whole session."""
    server = BrowserSite(tmp_path_factory.mktemp("browser-site"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright(playwright_api: Any) -> Iterator[Any]:
    manager = playwright_api.sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, launched by its path (Playwright's own download is not used)."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


class PageProblems:
    """Console errors and uncaught exceptions of a page, collected while the test runs."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page: Any) -> None:
        page.on(
            "console",
            lambda message: (
                self.items.append(f"console {message.type}: {message.text} ({page.url})")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.items.append(f"page error: {error} ({page.url})"))


@pytest.fixture
def new_page(browser: Any, site: BrowserSite) -> Iterator[Any]:
    """Open a page in a fresh browser context (its own cookies): ``new_page(locale="pt-PT")``.

    The test fails if any page opened this way logs a console error or throws.
    """
    contexts: list[Any] = []
    problems = PageProblems()

    def open_page(**options: Any) -> Any:
        context = browser.new_context(base_url=site.url, viewport=DESKTOP, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems.items == [], "\n".join(problems.items)


@pytest.fixture
def page(new_page: Any) -> Any:
    """A page in a fresh browser context at desktop size, English."""
    return new_page(locale="en-GB")
