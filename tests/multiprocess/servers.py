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
