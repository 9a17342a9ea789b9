"""The example site served for the browser tests, and Chromium driven by Playwright.

The site is the real one (``config.settings``) run by ``manage.py runserver`` on a free loopback
port, with ``DJANGO_DEBUG=1`` as ``make demo`` runs it (static files served, cookies allowed over
plain HTTP), on a throwaway database that ``migrate`` and ``seed_demo`` fill: a SQLite file, or,
when the suite runs on PostgreSQL (``DATABASE_URL``), a new database on that server, dropped at
the end.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.multiprocess.servers import EXAMPLE_DIR, REPO, Process, free_port, in_ci, wait_for

#: Debian's Chromium; ``CHROMIUM_PATH`` points elsewhere.
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where screenshots go; ``BROWSER_ARTIFACTS`` points elsewhere.
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", REPO / "build" / "screenshots"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: The dummy gateway's webhook secret on the test site (the tests sign webhooks with it).
WEBHOOK_SECRET = "browser-tests-webhook-secret"


def skip_or_fail(message: str) -> None:
    """Skip the test with ``message``; under ``CI`` (which installs Chromium) fail instead."""
    if in_ci():
        pytest.fail(f"{message} (CI installs it: see .ci/run)", pytrace=False)
    pytest.skip(message)


def require_browser() -> Any:
    """The ``playwright.sync_api`` module, once Chromium and Playwright are known to be there."""
    if not Path(CHROMIUM_PATH).is_file():
        skip_or_fail(
            f"Chromium not found at {CHROMIUM_PATH}: apt-get install chromium "
            "(or set CHROMIUM_PATH)"
        )
    try:
        from playwright import sync_api
    except ImportError:
        skip_or_fail("Playwright for Python is missing: pip install -e '.[dev]'")
    return sync_api


class BrowserSite:
    """The example site on ``127.0.0.1:<port>`` with the demo data, until :meth:`stop`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.postgres_url, self.database_url = _database(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY")
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "1",
                "ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": self.database_url,
                "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(EXAMPLE_DIR)]),
                "DUMMY_GATEWAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "DJANGO_LOG_LEVEL": "WARNING",
                # The tests sign in many times from one address.
                "ACCOUNTS_AUTH_THROTTLE_RATE": "",
            }
        )
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo")
        self.process = Process(
            "runserver",
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{self.port}",
            ],
            cwd=EXAMPLE_DIR,
            env=self.env,
            log=directory / "runserver.log",
        )
        wait_for(self._answers, what="the example site", process=self.process, timeout=60)

    def manage(self, *args: str) -> str:
        import subprocess

        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/health/", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    def log(self) -> str:
        return self.process.output()

    def stop(self) -> None:
        self.process.stop()
        if self.postgres_url:
            _postgres(self.postgres_url, f"DROP DATABASE IF EXISTS {_DATABASE} WITH (FORCE)")


#: The browser site's database on the suite's PostgreSQL server (one per test process).
_DATABASE = f"ecommerce_kit_browser_{os.getpid()}"


def _database(directory: Path) -> tuple[str, str]:
    """``(the suite's PostgreSQL URL or "", the site's DATABASE_URL)``; on PostgreSQL the site's
    database is created afresh next to the suite's."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "", f"sqlite:///{directory / 'site.sqlite3'}"
    _postgres(url, f"DROP DATABASE IF EXISTS {_DATABASE} WITH (FORCE)")
    _postgres(url, f"CREATE DATABASE {_DATABASE}")
    return url, urlunsplit(urlsplit(url)._replace(path=f"/{_DATABASE}"))


def _postgres(url: str, statement: str) -> None:
    """Run ``statement`` (outside a transaction) on the server of ``url``."""
    import psycopg

    with psycopg.connect(
        urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True
    ) as c:
        c.execute(statement)
