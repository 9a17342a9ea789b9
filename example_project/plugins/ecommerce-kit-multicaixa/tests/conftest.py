"""Fixtures of every test here: a fake provider behind both gateways, and a fresh cache (the
kit's circuit breaker keeps its state there)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from ecommerce_kit_multicaixa import plugin
from ecommerce_kit_multicaixa.testing import API_KEY, API_URL, WEBHOOK_SECRET, FakeMulticaixa

from ecommerce_kit import plugins

OPTIONS = {"api_url": API_URL, "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}


@pytest.fixture(autouse=True)
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> FakeMulticaixa:
    """Send every request of both gateways to a new fake provider."""
    fake = FakeMulticaixa()
    monkeypatch.setattr(plugin.gateway, "transport", fake)
    monkeypatch.setattr(plugin.express, "transport", fake)
    return fake


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def multicaixa(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Both gateways, configured and registered (installed plugins left out), no waiting between
    retries; returns the plugin module."""
    monkeypatch.setenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugins.get_plugin_manager.cache_clear()
    plugins.get_plugin_manager().register(plugin, name="multicaixa")
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"multicaixa_ref": dict(OPTIONS), "multicaixa_express": dict(OPTIONS)},
        "HTTP_BACKOFF": 0,
    }
    yield plugin
    plugins.get_plugin_manager.cache_clear()
