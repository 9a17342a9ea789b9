from __future__ import annotations

from typing import Any

import pluggy
import pytest
from django.core.exceptions import ImproperlyConfigured

from ecommerce_kit import hookimpl, plugins
from ecommerce_kit.exceptions import GatewayNotFoundError
from ecommerce_kit.payments.dummy import DummyGateway


class AoaOnly(DummyGateway):
    id = "aoa_only"
    name = "AOA only"
    flow = "reference"
    currencies = ("AOA",)


class _Plugin:
    def __init__(self, *gateways: Any) -> None:
        self.gateways = list(gateways)

    @hookimpl
    def register_payment_gateways(self) -> list[Any]:
        return self.gateways


def test_dummy_is_registered_but_unused_until_configured() -> None:
    assert "dummy" in plugins.registered_gateways()
    assert plugins.list_gateways() == []
    with pytest.raises(GatewayNotFoundError):
        plugins.get_gateway("dummy")


def test_configured_gateways_are_listed_in_setting_order(
    isolated_plugins: pluggy.PluginManager, gateways_config: dict[str, Any]
) -> None:
    isolated_plugins.register(_Plugin(AoaOnly()), name="aoa")
    gateways_config["aoa_only"] = {}
    gateways_config["not_installed"] = {}
    assert [g.id for g in plugins.list_gateways()] == ["dummy", "aoa_only"]
    assert [g.id for g in plugins.list_gateways(currency="USD")] == ["dummy"]
    assert plugins.get_gateway("aoa_only").name == "AOA only"
    with pytest.raises(GatewayNotFoundError):
        plugins.get_gateway("not_installed")


def test_currencies_option_narrows_a_gateway(gateways_config: dict[str, Any]) -> None:
    gateways_config["dummy"]["currencies"] = ["USD"]
    gateway = plugins.get_gateway("dummy")
    assert plugins.gateway_currencies(gateway) == ("USD",)
    assert plugins.list_gateways(currency="AOA") == []


def test_duplicate_gateway_ids_are_refused(isolated_plugins: pluggy.PluginManager) -> None:
    isolated_plugins.register(_Plugin(DummyGateway()), name="copy")
    with pytest.raises(ImproperlyConfigured, match="Two plugins"):
        plugins.registered_gateways()


def test_objects_that_are_not_gateways_are_refused(isolated_plugins: pluggy.PluginManager) -> None:
    isolated_plugins.register(_Plugin(object()), name="bad")
    with pytest.raises(ImproperlyConfigured, match="does not implement"):
        plugins.registered_gateways()


def test_blocked_builtin_dummy_is_not_registered(settings: Any) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "BLOCKED_PLUGINS": ["ecommerce_kit.payments.dummy"],
    }
    plugins.get_plugin_manager.cache_clear()
    assert "dummy" not in plugins.registered_gateways()
