"""``python -m ecommerce_kit.startgateway`` writes a gateway distribution that passes the
contract as it stands: installed into a virtual environment of its own, its bare ``pytest``
runs the whole contract suite."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import ecommerce_kit
from ecommerce_kit.startgateway import USAGE_ERROR, main, render, start_gateway
from ecommerce_kit.startgateway import check_name as names_of

KIT_SRC = Path(ecommerce_kit.__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
EXPECTED_FILES = {
    "README.md",
    "pyproject.toml",
    "src/ecommerce_kit_acmepay/__init__.py",
    "src/ecommerce_kit_acmepay/gateway.py",
    "src/ecommerce_kit_acmepay/plugin.py",
    "src/ecommerce_kit_acmepay/provider.py",
    "tests/__init__.py",
    "tests/fake_provider.py",
    "tests/settings.py",
    "tests/test_contract.py",
}


def _can_build_offline() -> bool:
    """Whether this environment's setuptools builds editable wheels by itself (70.1 and later
    have ``bdist_wheel``); otherwise pip fetches a build backend from the package index."""
    try:
        return tuple(int(n) for n in version("setuptools").split(".")[:2]) >= (70, 1)
    except (PackageNotFoundError, ValueError):
        return False


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _make_venv(folder: Path) -> Path:
    """A virtual environment that sees this one's packages (Django, pytest, pip, setuptools...)
    but not its installed plugins' entry points: installing into it needs no network."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(folder)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_kit_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_startgateway_writes_a_distribution_whose_bare_pytest_passes_the_contract(
    tmp_path: Path,
) -> None:
    # The kit under test first on the path (an installed copy of the kit may be older).
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_ADDOPTS", "PYTHONPATH")
        },
        "PYTHONPATH": str(KIT_SRC),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    made = subprocess.run(
        [sys.executable, "-m", "ecommerce_kit.startgateway", "acmepay", "--directory", tmp_path],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    dist = tmp_path / "ecommerce-kit-acmepay"
    assert _files(dist) == EXPECTED_FILES
    assert "pip install -e" in made.stdout

    python = _make_venv(tmp_path / "venv")
    command = [python, "-m", "pip", "install", "-q", "--no-deps", "-e", "."]
    if _can_build_offline():
        command.insert(-2, "--no-build-isolation")
    installed = subprocess.run(
        command, cwd=dist, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if installed.returncode != 0 and not IN_CI and "setuptools" in installed.stderr:
        pytest.skip(f"pip could not get a build backend here: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Installed: the entry point names the plugin module, imported from the distribution.
    found = subprocess.run(
        [
            python,
            "-c",
            "from importlib.metadata import entry_points; "
            "(ep,) = entry_points(group='ecommerce_kit', name='acmepay'); "
            "print(ep.value, ep.load().__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    value, module_file = found.stdout.split()
    assert value == "ecommerce_kit_acmepay.plugin"
    assert Path(module_file) == dist / "src" / "ecommerce_kit_acmepay" / "plugin.py"

    # A bare `pytest` in the distribution's folder, as its author runs it.
    script = python.parent / "pytest"
    script.write_text(
        f"#!{python}\nimport sys\nfrom pytest import console_main\n\nsys.exit(console_main())\n"
    )
    script.chmod(0o755)
    tested = subprocess.run(
        ["pytest", "-p", "no:cacheprovider", "-rs"],
        cwd=dist,
        capture_output=True,
        text=True,
        env={**env, "PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}"},
        timeout=300,
        check=False,
    )
    output = tested.stdout + tested.stderr
    assert tested.returncode == 0, output
    summary = re.search(r"(\d+) passed", output)
    assert summary and int(summary.group(1)) >= 30, output
    assert " skipped" not in output, output


def test_generated_code_is_lint_clean(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed")
    dist = start_gateway("acme_pay", tmp_path)
    options = ["--isolated", "--line-length", "100"]
    checked = subprocess.run(
        [ruff, "check", *options, "--select", "E,F,W,I,UP,B,N", "."],
        cwd=dist,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    formatted = subprocess.run(
        [ruff, "format", *options, "--check", "."], cwd=dist, capture_output=True, text=True
    )
    assert formatted.returncode == 0, formatted.stdout


def test_generated_pyproject_declares_the_entry_point_tests_and_pytest_settings(
    tmp_path: Path,
) -> None:
    dist = start_gateway("acme_pay", tmp_path)
    project = tomllib.loads((dist / "pyproject.toml").read_text())
    assert project["project"]["name"] == "ecommerce-kit-acme-pay"
    assert project["project"]["entry-points"]["ecommerce_kit"] == {
        "acme_pay": "ecommerce_kit_acme_pay.plugin"
    }
    assert project["project"]["dependencies"] == ["ecommerce-kit>=0.1"]
    assert "pytest-django>=4.8" in project["project"]["optional-dependencies"]["test"]
    pytest_options = project["tool"]["pytest"]["ini_options"]
    assert pytest_options["DJANGO_SETTINGS_MODULE"] == "tests.settings"
    assert pytest_options["pythonpath"] == ["src", "."]
    gateway = (dist / "src" / "ecommerce_kit_acme_pay" / "gateway.py").read_text()
    assert "class AcmePayGateway:" in gateway and 'id = "acme_pay"' in gateway
    assert 'name = "Acme Pay"' in gateway


@pytest.mark.parametrize(
    "name",
    ["Acmepay", "acme-pay", "1pay", "_acme", "acme_", "acme__pay", "acme pay", "", "a" * 41],
)
def test_startgateway_refuses_a_name_that_is_not_a_gateway_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main([name, "--directory", str(tmp_path)]) == USAGE_ERROR
    assert "is not a valid gateway name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_startgateway_refuses_an_existing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "ecommerce-kit-acmepay"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    assert main(["acmepay", "--directory", str(tmp_path)]) == USAGE_ERROR
    assert "exists already" in capsys.readouterr().err
    assert _files(existing) == {"mine.txt"}


def test_startgateway_refuses_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["acmepay", "--directory", str(tmp_path / "nowhere")]) == USAGE_ERROR
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_management_command_writes_the_same_distribution(tmp_path: Path) -> None:
    call_command("startgateway", "acmepay", directory=str(tmp_path))
    dist = tmp_path / "ecommerce-kit-acmepay"
    expected = render(names_of("acmepay"))
    assert {name: (dist / name).read_text() for name in _files(dist)} == expected
    with pytest.raises(CommandError, match="exists already") as refused:
        call_command("startgateway", "acmepay", directory=str(tmp_path))
    assert refused.value.returncode == USAGE_ERROR
    with pytest.raises(CommandError, match="not a valid gateway name"):
        call_command("startgateway", "Acme-Pay", directory=str(tmp_path))
