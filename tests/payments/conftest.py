from __future__ import annotations

from typing import Any

import pluggy
import pytest

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def gateways_config(settings: Any) -> dict[str, Any]:
    """Configure the dummy gateway (with a webhook secret); returns the mutable gateway dict."""
    gateways: dict[str, Any] = {"dummy": {"webhook_secret": WEBHOOK_SECRET}}
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": gateways}
    return gateways


@pytest.fixture
def scripted_gateway(
    isolated_plugins: pluggy.PluginManager, gateways_config: dict[str, Any]
) -> Any:
    """A configured gateway ``scripted`` that records its calls and can be told to fail."""
    from tests.payments.helpers import GatewayPlugin, ScriptedGateway

    gateway = ScriptedGateway()
    isolated_plugins.register(GatewayPlugin(gateway), name="scripted-gateway")
    gateways_config["scripted"] = {"webhook_secret": WEBHOOK_SECRET}
    return gateway


@pytest.fixture
def hooks(isolated_plugins: pluggy.PluginManager) -> Any:
    """Record ``payment_status_changed`` calls."""
    from tests.payments.helpers import HookRecorder

    recorder = HookRecorder()
    isolated_plugins.register(recorder, name="hook-recorder")
    return recorder
