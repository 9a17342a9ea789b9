#!/usr/bin/env python3
"""Run the whole test suite on SQLite, then on PostgreSQL when one is available.

PostgreSQL comes from ``DATABASE_URL`` when it is set; otherwise, when the server binaries are
installed (``/usr/lib/postgresql/*/bin`` or ``pg_config --bindir``), a throwaway cluster is
created in a temporary directory, started on a free loopback port, and stopped and deleted
afterwards (also on failure or Ctrl-C). With ``CI=true`` the PostgreSQL leg is required.

Usage: ``python scripts/run_tests.py [pytest arguments]``. Exits non-zero if any leg fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^(?:=+ )?(?P<body>\d+ \w.*?) in [\d.]+s(?: \([^)]*\))?(?: =+)?$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass
class Leg:
    """One run of the suite against one database."""

    name: str
    returncode: int
    summary: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def parse_summary(output: str) -> str:
    """Return pytest's closing summary (``"212 passed, 3 skipped"``) from its output."""
    for line in reversed(output.splitlines()):
        match = SUMMARY.match(line.strip())
        if match:
            return match.group("body")
    for line in reversed(output.splitlines()):
        if COUNT.search(line):
            return line.strip()
    return "no test summary"


def counts(summary: str) -> dict[str, int]:
    """``"3 failed, 209 passed"`` -> ``{"failed": 3, "passed": 209}`` (``error`` merged)."""
    result: dict[str, int] = {}
    for number, word in COUNT.findall(summary):
        key = "errors" if word.startswith("error") else word
        result[key] = result.get(key, 0) + int(number)
    return result


def run_pytest(name: str, env: dict[str, str], args: Sequence[str]) -> Leg:
    """Run pytest with ``env``, streaming its output, and return the leg's result."""
    print(f"\n===== Test suite on {name} =====", flush=True)
    command = [sys.executable, "-m", "pytest", *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines: list[str] = []
    assert process.stdout is not None
    try:
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        returncode = process.wait()
    except BaseException:
        process.terminate()
        process.wait(timeout=30)
        raise
    sys.stdout.flush()
    return Leg(name, returncode, parse_summary("".join(lines)))


# --- PostgreSQL -------------------------------------------------------------------------------


def find_pg_bindir() -> Path | None:
    """Return the directory of ``initdb`` and ``pg_ctl`` (newest version first), or ``None``."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")],
        reverse=True,
    )
    dirs = [Path(c).parent for c in candidates]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            dirs.append(Path(out))
    initdb = shutil.which("initdb")
    if initdb:
        dirs.append(Path(initdb).parent)
    for directory in dirs:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def free_port() -> int:
    """Ask the kernel for a free loopback TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryPostgres:
    """A throwaway PostgreSQL cluster: ``initdb`` in a temp dir, on a free loopback port.

    As root (``initdb`` refuses to run as root) the server commands run as the ``postgres`` user,
    which owns the temporary directory.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.runas: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError(
                    "running as root, but there is no 'postgres' user to run the server as"
                ) from exc
            runuser = shutil.which("runuser")
            self.runas = (
                [runuser, "-u", "postgres", "--"]
                if runuser
                else ["su", "postgres", "-s", "/bin/sh", "-c"]
            )
        self.tmp = Path(tempfile.mkdtemp(prefix="ek-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.version = ""

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.runas and self.runas[0] == "su":
            full = [*self.runas, " ".join(_quote(c) for c in command)]
        else:
            full = [*self.runas, *command]
        return subprocess.run(full, capture_output=True, text=True, check=check, cwd=self.tmp)

    def start(self) -> str:
        """Create and start the cluster; return its ``DATABASE_URL``."""
        if self.owner is not None:
            os.chown(self.tmp, self.owner.pw_uid, self.owner.pw_gid)
        os.chmod(self.tmp, 0o700)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.tmp} -F "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.tmp / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if started.returncode != 0:
            log = self.tmp / "server.log"
            raise RuntimeError(
                "PostgreSQL did not start:\n"
                + started.stdout
                + started.stderr
                + (log.read_text() if log.exists() else "")
            )
        banner = self._run(str(self.bindir / "postgres"), "--version").stdout
        match = re.search(r"\(PostgreSQL\) (\S+)", banner)
        self.version = match.group(1) if match else banner.strip()
        return f"postgres://postgres@127.0.0.1:{self.port}/ecommerce_kit"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the temporary directory."""
        if (self.data / "postmaster.pid").exists():
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "stop",
                check=False,
            )
        shutil.rmtree(self.tmp, ignore_errors=True)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


@contextlib.contextmanager
def temporary_postgres(bindir: Path) -> Iterator[TemporaryPostgres]:
    server = TemporaryPostgres(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def server_version(url: str) -> str:
    """Ask the server at ``url`` for its version (via its ``postgres`` database); ``""`` if not."""
    try:
        import psycopg
    except ImportError:
        return ""
    maintenance = urlsplit(url)._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(maintenance, connect_timeout=10) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return ""
    return str(row[0]).split()[0] if row else ""


# --- main -------------------------------------------------------------------------------------


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str]) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    args = list(argv) or ["-q", "-rfEs"]
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    legs: list[Leg] = []
    notes: list[str] = []
    started = time.monotonic()

    try:
        legs.append(run_pytest("SQLite", base_env, args))

        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            name = f"PostgreSQL {server_version(url)}".strip()
            legs.append(run_pytest(name, {**base_env, "DATABASE_URL": url}, args))
        elif url:
            message = f"DATABASE_URL is not a PostgreSQL URL ({url.split(':', 1)[0]})"
            if ci:
                print(f"\nERROR: {message}; CI requires the PostgreSQL leg.", file=sys.stderr)
                legs.append(Leg("PostgreSQL", 1, message))
            else:
                notes.append(f"{message}; PostgreSQL leg skipped")
        else:
            bindir = find_pg_bindir()
            if bindir is None:
                message = (
                    "PostgreSQL server binaries not found (looked in "
                    "/usr/lib/postgresql/*/bin and pg_config --bindir)"
                )
                if ci:
                    print(
                        f"\nERROR: {message}; CI requires the PostgreSQL leg. "
                        "Install the 'postgresql' package.",
                        file=sys.stderr,
                    )
                    legs.append(Leg("PostgreSQL", 1, "server binaries not found"))
                else:
                    notes.append(
                        f"{message}; PostgreSQL leg skipped. Set DATABASE_URL or "
                        "install PostgreSQL to run it"
                    )
            else:
                try:
                    with temporary_postgres(bindir) as server:
                        print(
                            f"\nStarted a throwaway PostgreSQL {server.version} on "
                            f"127.0.0.1:{server.port} ({server.tmp})",
                            flush=True,
                        )
                        legs.append(
                            run_pytest(
                                f"PostgreSQL {server.version}",
                                {
                                    **base_env,
                                    "DATABASE_URL": f"postgres://postgres@127.0.0.1:"
                                    f"{server.port}/ecommerce_kit",
                                },
                                args,
                            )
                        )
                except (RuntimeError, subprocess.CalledProcessError) as exc:
                    detail = getattr(exc, "stderr", "") or str(exc)
                    print(
                        f"\nERROR: could not run a throwaway PostgreSQL: {detail}", file=sys.stderr
                    )
                    legs.append(Leg("PostgreSQL", 1, "server could not be started"))
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130

    elapsed = time.monotonic() - started
    print("\n===== Summary =====")
    for leg in legs:
        print(f"{leg.name}: {leg.summary}{'' if leg.ok else '  <-- FAILED'}")
    for note in notes:
        print(f"Note: {note}")
    total: dict[str, int] = {}
    for leg in legs:
        for key, value in counts(leg.summary).items():
            total[key] = total.get(key, 0) + value
    names = " and ".join(leg.name for leg in legs)
    verdict = "passed" if legs and all(leg.ok for leg in legs) else "FAILED"
    print(f"The suite ran on {names} in {elapsed:.0f}s: {verdict}.")
    failed = total.get("failed", 0) + total.get("errors", 0)
    line = f"Total: {total.get('passed', 0)} passed, {failed} failed"
    if total.get("skipped"):
        line += f", {total['skipped']} skipped"
    print(line)
    return 0 if legs and all(leg.ok for leg in legs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
