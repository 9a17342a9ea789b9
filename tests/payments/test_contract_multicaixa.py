"""The example third-party gateway distribution (``example_project/plugins/...``).

It is not installed: its ``src`` folder is put on ``sys.path`` and its own contract tests module
(with the fixtures of its ``conftest.py``) is loaded from its folder, so the kit's suite runs
exactly the contracts the distribution ships. The distribution's whole test suite also runs
from its own folder, as its author runs it, and its wheel is built as its README says.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ecommerce_kit
from ecommerce_kit import plugins

DIST = (
    Path(__file__).resolve().parents[2] / "example_project" / "plugins" / "ecommerce-kit-multicaixa"
)
KIT_SRC = Path(ecommerce_kit.__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
GATEWAY_IDS = {"multicaixa_ref", "multicaixa_express"}
if str(DIST / "src") not in sys.path:
    sys.path.insert(0, str(DIST / "src"))


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


conftest = _load("multicaixa_conftest", DIST / "tests" / "conftest.py")
contract_tests = _load("multicaixa_contract_tests", DIST / "tests" / "test_contract.py")

# The distribution's contracts, and the fake provider they run against.
TestMulticaixaReferenceContract = contract_tests.TestMulticaixaReferenceContract
TestMulticaixaExpressContract = contract_tests.TestMulticaixaExpressContract
fake_provider = conftest.fake_provider


def _project() -> dict[str, Any]:
    return tomllib.loads((DIST / "pyproject.toml").read_text())


def test_distribution_declares_its_entry_point_and_version() -> None:
    project = _project()["project"]
    target = project["entry-points"]["ecommerce_kit"]["multicaixa"]
    assert target == "ecommerce_kit_multicaixa.plugin"
    module = importlib.import_module(target)
    assert {g.id for g in module.register_payment_gateways()} == GATEWAY_IDS
    assert project["version"] == importlib.import_module("ecommerce_kit_multicaixa").__version__


def test_entry_point_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "ecommerce_kit_multicaixa-0.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ecommerce-kit-multicaixa\nVersion: 0.2.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[ecommerce_kit]\nmulticaixa = ecommerce_kit_multicaixa.plugin\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    plugins.get_plugin_manager.cache_clear()
    assert GATEWAY_IDS <= set(plugins.registered_gateways())
    plugins.get_plugin_manager.cache_clear()


def test_distribution_runs_its_own_tests_from_its_folder() -> None:
    # -P keeps the current folder off sys.path, as the ``pytest`` script does: the distribution's
    # own pytest settings must find its test settings and its sources. PYTHONPATH puts the kit
    # under test first (an installed copy of the kit may be another).
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_ADDOPTS")
        },
        "PYTHONPATH": str(KIT_SRC),
    }
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=DIST,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_distribution_builds_a_wheel_with_its_version_and_entry_point(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        DIST, project, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), project],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0 and not IN_CI:
        pytest.skip(f"pip could not build the wheel here: {built.stderr.strip()[-300:]}")
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("ecommerce_kit_multicaixa-*.whl")
    version = _project()["project"]["version"]
    assert wheel.name == f"ecommerce_kit_multicaixa-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(
            f"ecommerce_kit_multicaixa-{version}.dist-info/entry_points.txt"
        ).decode()
    assert "[ecommerce_kit]\nmulticaixa = ecommerce_kit_multicaixa.plugin" in entry_points
    assert {
        "ecommerce_kit_multicaixa/gateway.py",
        "ecommerce_kit_multicaixa/plugin.py",
        "ecommerce_kit_multicaixa/testing.py",
    } <= names
    assert not any(name.startswith("tests/") for name in names)
