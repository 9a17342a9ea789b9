"""The wheel that ``pip install .`` builds ships everything the kit needs at run time."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"ecommerce_kit-{ecommerce_kit.__version__}.dist-info/METADATA")
    return Parser().parsestr(text.decode())


def _requirements(metadata: Message, extra: str | None = None) -> dict[str, Requirement]:
    """The ``Requires-Dist`` of the base install (``extra=None``) or of one extra, by name."""
    found: dict[str, Requirement] = {}
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if extra is None:
            wanted = marker is None
        else:
            wanted = marker is not None and marker.evaluate({"extra": extra})
        if wanted:
            found[canonicalize_name(requirement.name)] = requirement
    return found


def _third_party_imports(root: Path) -> dict[str, set[str]]:
    """Top-level modules imported under ``root`` that are neither stdlib nor the kit's own."""
    imports: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top in ("__future__", "ecommerce_kit"):
                    continue
                imports.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return imports


def _distributions(module: str) -> set[str]:
    return {canonicalize_name(name) for name in packages_distributions().get(module, ())}


def test_wheel_metadata_declares_dependencies_and_extras(wheel):
    metadata = _metadata(wheel)
    base = _requirements(metadata)

    for requirement in (
        "django",
        "djangorestframework",
        "pluggy",
        "django-money",
        "py-moneyed",
        "django-fsm-2",
        "celery",
        "django-filter",
        "drf-spectacular",
        "django-countries",
    ):
        assert requirement in base, requirement
    assert set(metadata.get_all("Provides-Extra") or []) >= {
        "postgres",
        "asgi",
        "testing",
        "example",
        "dev",
    }
    assert set(_requirements(metadata, "testing")) == {"pytest", "pytest-django"}
    assert set(_requirements(metadata, "asgi")) == {"uvicorn"}
    assert "standard" in _requirements(metadata, "asgi")["uvicorn"].extras
    assert {"postgres", "example", "testing"} <= _requirements(metadata, "dev")[
        "ecommerce-kit"
    ].extras
    assert metadata["Requires-Python"] == ">=3.11"


def test_every_module_the_package_imports_is_a_declared_dependency(wheel):
    """A distribution the kit imports directly is declared, not left to arrive with another."""
    metadata = _metadata(wheel)
    base = set(_requirements(metadata))
    testing = base | set(_requirements(metadata, "testing"))
    imports = _third_party_imports(SRC)
    assert {"moneyed", "django_countries", "pytest"} <= set(imports)

    undeclared = {}
    for module, paths in imports.items():
        under_testing = all(path.startswith("src/ecommerce_kit/testing/") for path in paths)
        declared = testing if under_testing else base
        if not _distributions(module) & declared:
            undeclared[module] = sorted(paths)
    assert undeclared == {}


def _tox_django_versions() -> set[str]:
    """The Django feature releases tox.ini runs the suite on (``django52: Django>=5.2,<6.0``)."""
    text = (ROOT / "tox.ini").read_text(encoding="utf-8")
    return {
        f"{major}.{minor}"
        for major, minor in re.findall(r"^\s*django(\d)(\d+)\s*:\s*Django", text, re.MULTILINE)
    }


def test_django_classifiers_and_range_match_what_tox_tests(wheel):
    metadata = _metadata(wheel)
    tested = _tox_django_versions()
    assert tested == {"5.2", "6.0"}

    classifiers = {
        line.rsplit(" :: ", 1)[1]
        for line in metadata.get_all("Classifier") or []
        if line.startswith("Framework :: Django :: ")
    }
    assert classifiers == tested
    specifier = _requirements(metadata)["django"].specifier
    for release in tested:
        assert specifier.contains(f"{release}.0"), release
        assert specifier.contains(f"{release}.99"), release
    majors_minors = sorted(Version(release) for release in tested)
    newest = majors_minors[-1]
    assert not specifier.contains(f"{newest.major}.{newest.minor + 1}.0")
    oldest = majors_minors[0]
    assert not specifier.contains(f"{oldest.major}.{oldest.minor - 1}.99")


def test_python_classifiers_match_what_tox_tests(wheel):
    text = (ROOT / "tox.ini").read_text(encoding="utf-8")
    tested = set()
    for group in re.findall(r"^\s*py3(\{[\d,]+\}|\d+)-", text, re.MULTILINE):
        tested |= {f"3.{minor}" for minor in group.strip("{}").split(",")}
    classifiers = {
        line.rsplit(" :: ", 1)[1]
        for line in _metadata(wheel).get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", line)
    }
    assert tested == classifiers == {"3.11", "3.12", "3.13"}


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
