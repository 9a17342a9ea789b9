"""Fixtures for the example host site's tests.

The suite runs with ``tests.settings``; these tests mount the example site's URLconf
(``config.urls``) and apply the example settings that its views depend on, read from
``example_project/config/settings.py`` itself so that they cannot drift apart.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "example_project"
SETTINGS_FILE = EXAMPLE_DIR / "config" / "settings.py"

#: The environment variables the example settings read; cleared before each load.
SETTINGS_ENV = (
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_COOKIES",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_PRELOAD",
    "DJANGO_TRUST_X_FORWARDED_PROTO",
    "DUMMY_GATEWAY_WEBHOOK_SECRET",
    "DJANGO_LOG_LEVEL",
    "ACCOUNTS_AUTH_THROTTLE_RATE",
    "DB_CONN_MAX_AGE",
    "DJANGO_NUM_PROXIES",
)


def load_example_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Execute the example settings module with exactly ``env`` set; return its globals."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return runpy.run_path(str(SETTINGS_FILE))


@pytest.fixture(autouse=True)
def example_site(settings: Any) -> Iterator[None]:
    """Serve ``config.urls`` with the example site's auth settings (throttle off)."""
    example = load_example_settings({"DJANGO_DEBUG": "1"})
    settings.ROOT_URLCONF = "config.urls"
    settings.SIMPLE_JWT = {
        **example["SIMPLE_JWT"],
        "SIGNING_KEY": "tests-only-jwt-signing-key-0123456789abcdef",
    }
    settings.AUTH_PASSWORD_VALIDATORS = example["AUTH_PASSWORD_VALIDATORS"]
    settings.ACCOUNTS_AUTH_THROTTLE_RATE = None
    yield
