"""What ``ecommerce_kit.testing`` offers to plugin authors: the pytest fixtures, and the plugin
guide's example gateway proven by the contract suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pluggy
import pytest

import ecommerce_kit
from ecommerce_kit import plugins
from ecommerce_kit.startgateway import check_name, render, start_gateway
from tests.payments.helpers import GatewayPlugin, ScriptedGateway

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


#: The python blocks of the plugin guide, by the path their first line names.
GUIDE = ROOT / "docs" / "plugins.md"
WRITTEN = ("src/ecommerce_kit_acmepay/provider.py", "tests/fake_provider.py")


def _guide_blocks() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    named = {}
    for block in blocks:
        first, _, code = block.partition("\n")
        assert first.startswith("# "), f"a python block of plugins.md names no file: {block[:80]}"
        named[first.removeprefix("# ")] = code
    return named


def test_plugin_guide_names_every_python_block() -> None:
    assert set(_guide_blocks()) == {*WRITTEN, "src/ecommerce_kit_acmepay/plugin.py", "settings.py"}


def test_plugin_guide_shows_the_generated_plugin_module() -> None:
    generated = render(check_name("acmepay"))["src/ecommerce_kit_acmepay/plugin.py"]
    assert _guide_blocks()["src/ecommerce_kit_acmepay/plugin.py"] == generated


def test_plugin_guide_settings_configure_what_the_gateway_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACMEPAY_API_KEY", "ak_live")
    monkeypatch.setenv("ACMEPAY_WEBHOOK_SECRET", "whsec_live")
    namespace: dict[str, Any] = {}
    exec(_guide_blocks()["settings.py"], namespace)  # noqa: S102
    options = namespace["ECOMMERCE_KIT"]["PAYMENT_GATEWAYS"]["acmepay"]
    assert set(options) == {"api_url", "api_key", "webhook_secret"}
    assert options["api_key"] == "ak_live"


def test_plugin_guide_asks_fewer_than_a_hundred_lines() -> None:
    blocks = _guide_blocks()
    written = sum(1 for name in WRITTEN for line in blocks[name].splitlines() if line.strip())
    assert written < 100, f"the guide has a provider write {written} lines"


def test_plugin_guide_gateway_passes_the_contract(tmp_path: Path) -> None:
    """Follow the guide: generate the distribution, write the two files it shows, run pytest."""
    dist = start_gateway("acmepay", tmp_path)
    for name, code in _guide_blocks().items():
        if name in WRITTEN:
            (dist / name).write_text(code, encoding="utf-8")
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_ADDOPTS")
        },
        "PYTHONPATH": str(Path(ecommerce_kit.__file__).resolve().parents[1]),
    }
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-p", "no:cacheprovider", "-rfEs"],
        cwd=dist,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    summary = re.search(r"(\d+) passed", output)
    assert summary and int(summary.group(1)) >= 30, output
    assert " skipped" not in output, output
