"""Pytest fixtures for code that uses ecommerce_kit (gateway plugins, host projects).

Enable it in a ``conftest.py`` with ``pytest_plugins = ["ecommerce_kit.testing.pytest_plugin"]``
(pytest-django must be installed and configured with a settings module that installs the kit's
apps). Fixtures:

- ``kit_plugin_manager``: a fresh plugin manager without the installed entry-point plugins;
  register the plugin under test on it with ``kit_plugin_manager.register(module)``.
- ``kit_gateways``: a dict that is ``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]`` for the test; add
  ``kit_gateways["acme"] = {...}`` to configure a gateway.
- ``kit_order``: a new ``pending`` order of one line for 1000.00 AOA.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pluggy
import pytest

from ecommerce_kit.plugins import get_plugin_manager
from ecommerce_kit.testing.factories import create_order


@pytest.fixture
def kit_plugin_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[pluggy.PluginManager]:
    """Yield a fresh plugin manager that ignores the installed entry-point plugins."""
    monkeypatch.setenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    get_plugin_manager.cache_clear()
    yield get_plugin_manager()
    get_plugin_manager.cache_clear()


@pytest.fixture
def kit_gateways(settings: Any) -> dict[str, Any]:
    """Return the (initially empty) ``PAYMENT_GATEWAYS`` dict in force for the test."""
    gateways: dict[str, Any] = {}
    settings.ECOMMERCE_KIT = {
        **(getattr(settings, "ECOMMERCE_KIT", {}) or {}),
        "PAYMENT_GATEWAYS": gateways,
    }
    return gateways


@pytest.fixture
def kit_order(db: Any) -> Any:
    """Return a new ``pending`` order of 1000.00 AOA."""
    return create_order()
