"""Real servers for the multi-process tests: a throwaway Redis and the processes that use it.

Each is started on a free loopback port, with its files in a temporary directory, and stopped at
the end (also when the test fails).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO / "example_project"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    """Ask the kernel for a free loopback TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    ready: Callable[[], bool], *, what: str, timeout: float = 30, process: Process | None = None
) -> None:
    """Poll ``ready`` until it answers true; fail after ``timeout`` seconds or when ``process``
    exits early (with its output in the message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process is not None and process.popen.poll() is not None:
            pytest.fail(f"{what} exited with {process.popen.returncode}:\n{process.output()}")
        time.sleep(0.1)
    detail = f":\n{process.output()}" if process is not None else ""
    pytest.fail(f"{what} not ready after {timeout:.0f}s{detail}")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A child process in its own process group, its output in a file."""

    def __init__(
        self, name: str, command: Sequence[str], *, cwd: Path, env: dict[str, str], log: Path
    ) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603
            list(command),
            cwd=cwd,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """SIGKILL the whole process group (a worker and its pool children), no clean-up."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``timeout``."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log_file.close()


class RedisServer:
    """A throwaway ``redis-server``: no persistence, loopback only, its own directory."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = Process(
            "redis-server",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
                "--protected-mode",
                "yes",
            ],
            cwd=directory,
            env=dict(os.environ),
            log=directory / "redis.log",
        )
        wait_for(self.ping, what="redis-server", process=self.process, timeout=15)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        self.process.stop()


def redis_server_binary() -> str:
    """The path of ``redis-server``; skips the test when it is missing (fails under ``CI``)."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").is_file() else None
    )
    if binary is None:
        message = (
            "redis-server not found on PATH: install Redis (Debian: apt-get install redis-server) "
            "to run the tests on a real Redis"
        )
        if in_ci():
            pytest.fail(f"{message}; CI requires them.", pytrace=False)
        pytest.skip(message)
    try:
        import redis  # noqa: F401
    except ImportError:
        message = "the redis package is missing: pip install -e '.[dev]'"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


# --- The example site --------------------------------------------------------------------------

#: A host's settings module on top of the example site's, written next to its database.
SITE_SETTINGS = """
from config.settings import *  # noqa: F403

ECOMMERCE_KIT = {{**ECOMMERCE_KIT, {kit!s}}}  # noqa: F405
"""


class ExampleSite:
    """The example site (``config.settings`` plus ``kit`` overrides) on its own SQLite file.

    :param directory: Holds the database, the settings module and the processes' logs.
    :param redis_url: ``REDIS_URL`` for every process (empty: local-memory cache, eager Celery).
    :param kit: ``ECOMMERCE_KIT`` keys to override, as Python source (``'"X": 1'``).
    """

    def __init__(self, directory: Path, *, redis_url: str = "", kit: str = "") -> None:
        self.directory = directory
        (directory / "site_settings.py").write_text(SITE_SETTINGS.format(kit=kit))
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG")
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "site_settings",
                "SECRET_KEY": "multiprocess-tests-" + "x" * 40,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": f"sqlite:///{directory / 'site.sqlite3'}",
                "PYTHONPATH": os.pathsep.join(
                    [str(REPO / "src"), str(EXAMPLE_DIR), str(directory)]
                ),
                "DJANGO_LOG_LEVEL": "WARNING",
            }
        )
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.processes: list[Process] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python *args`` in ``example_project`` with the site's environment."""
        import sys

        done = subprocess.run(  # noqa: S603
            [sys.executable, *args],
            cwd=EXAMPLE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start(self, name: str, *command: str) -> Process:
        """Start a long-running process (``gunicorn ...``, ``celery ...``) of the site."""
        process = Process(
            name, command, cwd=EXAMPLE_DIR, env=self.env, log=self.directory / f"{name}.log"
        )
        self.processes.append(process)
        return process

    def start_gunicorn(self, name: str) -> int:
        """Start one single-worker gunicorn process; return its port once it answers."""
        import sys

        port = free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        process = self.start(
            name,
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
        )
        wait_for(lambda: port_open(port), what=name, process=process)
        return port

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
