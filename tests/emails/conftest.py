from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, _state, current_app

from tests.payments.conftest import WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def dummy_gateway(settings: Any) -> dict[str, Any]:
    """Configure the built-in dummy gateway (with the payments tests' webhook secret)."""
    gateways: dict[str, Any] = {"dummy": {"webhook_secret": WEBHOOK_SECRET}}
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": gateways}
    return gateways


@pytest.fixture
def kit_settings(settings: Any) -> Any:
    """Change ``ECOMMERCE_KIT`` keys for one test: ``kit_settings(EMAILS={...})``."""

    def change(**values: Any) -> None:
        settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, **values}

    return change


@functools.cache
def celery_fallback_app() -> Celery:
    """The app Celery makes up in a process that created none (made by Celery's own code)."""
    saved = _state.default_app
    _state.set_default_app(None)
    try:
        _state._get_current_app()
        fallback = _state.default_app
    finally:
        _state.set_default_app(saved)
    assert fallback is not None
    return fallback


@pytest.fixture(autouse=True)
def without_celery_app() -> Iterator[None]:
    """Start from a host without a Celery app: Celery's fallback app is made current.

    Importing the example site (other tests do) creates its Celery app and makes it current (and
    possibly Celery's default app) for the rest of the process; ``test_celery.py`` sets its own
    app where it needs one.
    """
    previous = current_app._get_current_object()
    celery_fallback_app().set_current()
    yield
    previous.set_current()
