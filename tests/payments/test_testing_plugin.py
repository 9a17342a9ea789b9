"""What ``ecommerce_kit.testing`` offers to plugin authors: the pytest fixtures, and the plugin
guide's example gateway proven by the contract suite."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pluggy
import pytest

from ecommerce_kit import plugins
from tests.payments.helpers import GatewayPlugin, ScriptedGateway

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


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


def test_plugin_guide_example_gateway_passes_the_contract(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n# ((?:acme_pay|tests)/\w+\.py)\n(.*?)```", guide, re.DOTALL)
    files = dict(blocks)
    assert set(files) == {"acme_pay/gateway.py", "acme_pay/plugin.py", "tests/test_contract.py"}
    for name, code in files.items():
        # The guide's tests/ folder becomes a test module of its own (the kit has a tests package).
        path = pytester.path / name.replace("tests/", "test_guide_", 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    (pytester.path / "acme_pay" / "__init__.py").touch()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    # Its own SQLite test database, never the one this run is using.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\ndjango_find_project = false\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rfEs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 20, result.stdout.str()
