"""A brand-new Django site mounts the kit with the lines of docs/installation.md, and nothing else.

The lines are read from the installation page's marked code blocks (``<!-- host-lines: ... -->``),
so the documentation and this test cannot drift apart; the README must show the same lines. A
``django-admin startproject`` site gets them appended, passes ``manage.py check`` with no issue,
migrates, and runs a whole journey (``host_site/journey.py``) in a subprocess: browse, anonymous
cart, session sign-in, checkout, a pending dummy payment completed by a signed webhook, seller
fulfilment, a review. The same site with hostile ``REST_FRAMEWORK`` defaults still gets the
documented answers from the kit, while its own view keeps the host's defaults.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import ecommerce_kit

ROOT = Path(__file__).resolve().parent.parent
HOST_SITE = Path(__file__).resolve().parent / "host_site"
INSTALLATION = ROOT / "docs" / "installation.md"
README = ROOT / "README.md"
#: The directory that holds the ``ecommerce_kit`` package under test (this checkout's ``src``).
SOURCE = Path(ecommerce_kit.__file__).resolve().parent.parent
MARKED_BLOCK = re.compile(r"<!-- host-lines: (\S+) -->\n```python\n(.*?)^```", re.S | re.M)
MAX_HOST_LINES = 10

HOSTILE_SETTINGS = """
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "mysite.hostile.HostPagination",
    "PAGE_SIZE": 1,
    "EXCEPTION_HANDLER": "mysite.hostile.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["mysite.hostile.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    "DEFAULT_METADATA_CLASS": None,
}
"""
HOSTILE_URLS = """
from mysite.host_views import HostGroups

urlpatterns += [path("host/groups/", HostGroups.as_view())]
"""


def host_lines(page: Path) -> dict[str, str]:
    """Return the marked code blocks of ``page``, by the file they are appended to."""
    return dict(MARKED_BLOCK.findall(page.read_text()))


def counted(code: str) -> list[str]:
    """The lines of ``code`` that count: neither blank nor comments."""
    return [
        line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def _django_admin() -> str | None:
    beside_python = Path(sys.executable).parent / "django-admin"
    return str(beside_python) if beside_python.exists() else shutil.which("django-admin")


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
    }
    # The package under test (not another copy installed in the environment), and the site.
    env["PYTHONPATH"] = os.pathsep.join([str(SOURCE), str(site)])
    if args[0] != "startproject":
        env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    command = (
        [_django_admin() or "django-admin", *args]
        if args[0] == "startproject"
        else [
            sys.executable,
            *args,
        ]
    )
    result = subprocess.run(  # noqa: S603
        command, cwd=site, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n" + code)


def test_installation_page_mounts_the_kit_in_at_most_ten_lines() -> None:
    blocks = host_lines(INSTALLATION)
    assert set(blocks) == {"settings.py", "urls.py"}
    total = sum(len(counted(code)) for code in blocks.values())
    assert total <= MAX_HOST_LINES, total
    assert "include(" in blocks["urls.py"] and "import include" in blocks["urls.py"]


def test_readme_shows_the_same_lines() -> None:
    assert host_lines(README) == host_lines(INSTALLATION)


@pytest.fixture(scope="module")
def migrated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A new ``startproject`` site with the documented lines, checked and migrated."""
    if _django_admin() is None:
        pytest.skip("django-admin is not available")
    site = tmp_path_factory.mktemp("host") / "site"
    site.mkdir()
    _run(site, "startproject", "mysite", str(site))
    for name, code in host_lines(INSTALLATION).items():
        _append(site / "mysite" / name, code)
    checked = _run(site, "manage.py", "check")
    _run(site, "manage.py", "migrate", "--noinput")
    shutil.copy(HOST_SITE / "journey.py", site / "journey.py")
    yield site, checked.stdout + checked.stderr


def _copy(site: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    return copy


def test_new_site_with_the_documented_lines_passes_check(migrated_site: tuple[Path, str]) -> None:
    _, output = migrated_site
    assert "System check identified no issues (0 silenced)." in output, output


def test_new_site_runs_a_whole_journey(migrated_site: tuple[Path, str], tmp_path: Path) -> None:
    site = _copy(migrated_site[0], tmp_path)
    assert "journey ok" in _run(site, "journey.py").stdout


def test_hostile_rest_framework_defaults_change_nothing_in_the_kit(
    migrated_site: tuple[Path, str], tmp_path: Path
) -> None:
    site = _copy(migrated_site[0], tmp_path)
    for module in ("hostile.py", "host_views.py"):
        shutil.copy(HOST_SITE / module, site / "mysite" / module)
    _append(site / "mysite" / "settings.py", HOSTILE_SETTINGS)
    _append(site / "mysite" / "urls.py", HOSTILE_URLS)
    checked = _run(site, "manage.py", "check")
    assert "System check identified no issues (0 silenced)." in checked.stdout
    assert "journey ok" in _run(site, "journey.py", "--hostile").stdout
