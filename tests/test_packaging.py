"""The wheel that ``pip install .`` builds ships everything the kit needs at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

import ecommerce_kit

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "ecommerce_kit"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _can_build_offline() -> bool:
    """Whether the running environment has the build backend (no download needed)."""
    try:
        return int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the project (so the work tree stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    project = tmp / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, project / name)
    shutil.copytree(
        ROOT / "src",
        project / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp)]
    if _can_build_offline():
        command.append("--no-build-isolation")
    result = subprocess.run([*command, str(project)], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        if IN_CI:
            pytest.fail(f"pip could not build the wheel:\n{result.stdout}\n{result.stderr}")
        pytest.skip(f"pip could not build the wheel here: {result.stderr.strip()[-300:]}")
    (built,) = tmp.glob("ecommerce_kit-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _source_files(pattern: str) -> set[str]:
    return {
        str(path.relative_to(SRC.parent)).replace(os.sep, "/")
        for path in SRC.rglob(pattern)
        if "__pycache__" not in path.parts
    }


def test_wheel_is_named_after_the_version(wheel):
    assert wheel.name.startswith(f"ecommerce_kit-{ecommerce_kit.__version__}-py3-none-any")


def test_wheel_ships_every_module_and_migration(wheel):
    names = _names(wheel)
    modules = _source_files("*.py")

    assert "ecommerce_kit/catalog/migrations/0001_initial.py" in modules
    assert modules - names == set()


def test_wheel_ships_typing_marker_translations_and_templates(wheel):
    names = _names(wheel)

    assert "ecommerce_kit/py.typed" in names
    assert "ecommerce_kit/locale/pt/LC_MESSAGES/django.po" in names
    assert "ecommerce_kit/locale/pt/LC_MESSAGES/django.mo" in names
    data = (
        _source_files("*.mo")
        | _source_files("*.po")
        | {name for name in _source_files("*") if "/templates/" in name and "." in name}
    )
    assert data - names == set()


def test_wheel_leaves_out_tests_and_the_example_project(wheel):
    tops = {name.split("/", 1)[0] for name in _names(wheel)}

    assert tops == {"ecommerce_kit", f"ecommerce_kit-{ecommerce_kit.__version__}.dist-info"}


def test_wheel_metadata_declares_dependencies_and_extras(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(
            f"ecommerce_kit-{ecommerce_kit.__version__}.dist-info/METADATA"
        ).decode()

    for requirement in (
        "Django",
        "djangorestframework",
        "pluggy",
        "django-money",
        "django-fsm-2",
        "celery",
        "django-filter",
        "drf-spectacular",
    ):
        assert f"Requires-Dist: {requirement}" in metadata
    assert "Provides-Extra: dev" in metadata
    assert "Provides-Extra: example" in metadata
    assert "Requires-Python: >=3.11" in metadata


def test_wheel_is_importable_on_its_own(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ecommerce_kit, ecommerce_kit.conf; print(ecommerce_kit.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "ecommerce_kit" / "__init__.py")
