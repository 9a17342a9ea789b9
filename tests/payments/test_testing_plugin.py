"""The fixtures that ``ecommerce_kit.testing.pytest_plugin`` offers to plugin authors."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest

from ecommerce_kit import plugins
from tests.payments.helpers import GatewayPlugin, ScriptedGateway


@pytest.mark.django_db
def test_kit_fixtures_configure_a_gateway_and_make_an_order(
    kit_plugin_manager: pluggy.PluginManager, kit_gateways: dict[str, Any], kit_order: Any
) -> None:
    kit_plugin_manager.register(GatewayPlugin(ScriptedGateway()), name="scripted")
    assert plugins.list_gateways() == []
    kit_gateways["scripted"] = {}
    assert [g.id for g in plugins.list_gateways(currency="AOA")] == ["scripted"]
    assert kit_order.status == "pending" and str(kit_order.total.amount) == "1000.00"
    assert kit_order.items.count() == 1 and kit_order.fulfilments.count() == 1
