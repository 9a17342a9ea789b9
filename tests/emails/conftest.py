from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import current_app
from celery.app import default_app

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


@pytest.fixture(autouse=True)
def without_celery_app() -> Iterator[None]:
    """Start from a host without a Celery app: Celery's fallback app is made current.

    Importing the example site (other tests do) creates its Celery app and makes it current for
    the rest of the process; ``test_celery.py`` sets its own app where it needs one.
    """
    previous = current_app._get_current_object()
    default_app._get_current_object().set_current()
    yield
    previous.set_current()
