"""Serve the example project with gunicorn on loopback and measure it under load.

Run from the repository root, with a PostgreSQL database of its own (created when missing;
``--reset`` drops and recreates it first)::

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/ek_bench \\
        /work/venv/bin/python bench/http_load.py --workers 2 --reset

What it does, in order:

1. ``migrate`` and ``seed_demo`` on ``DATABASE_URL`` (the demo catalog: a few hundred products).
2. Starts ``gunicorn config.wsgi`` from ``example_project/`` on 127.0.0.1 with ``--workers N``
   (sync workers unless ``--threads`` > 1) and waits for ``/api/v1/health/``.
3. Read load: for each GET scenario, ``--concurrency`` client threads send requests for
   ``--duration`` seconds (or until ``--max-requests``), after a short warm-up; requests/s and
   p50/p95/p99 latency are reported.
4. Checkout race: ``--buyers`` K users (created in the database, each with a JWT access token and
   1 unit of one product in its cart) all ``POST /api/v1/checkout/`` at once for a product whose
   stock is ``--stock`` S. Exactly S must succeed (201) and K - S get 409 ``insufficient_stock``.
5. Idempotency race: one buyer sends the same checkout with the same ``Idempotency-Key`` from 10
   threads at once; every answer must carry the same order and exactly one order must exist.
6. Stops gunicorn (also on errors and Ctrl-C) and prints the results as Markdown tables.

Only loopback addresses are used, for the server and for the database. Every loop is bounded in
count and in time. The load generator runs on the same machine as the server and the database,
so on a small machine it takes CPU from them: compare numbers measured on the same machine only.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
#: A throwaway key for a loopback server (32+ bytes: it also signs the JWTs).
SECRET_KEY = "bench-only-not-secret-loopback-server-key"  # noqa: S105
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:55432/ek_bench"
ADDRESS = {"full_name": "Ana Silva", "line1": "Rua Direita 12", "city": "Luanda", "country": "AO"}
CHECKOUT_BODY = {
    "shipping_address": ADDRESS,
    "payment_method": "dummy",
    "payment_data": {"token": "tok_success"},
}
#: Upper bounds that no option can lift: the run always stops.
MAX_DURATION = 120.0
MAX_REQUESTS = 200_000
MAX_BUYERS = 500
REQUEST_TIMEOUT = 60.0


# --- environment -----------------------------------------------------------------------------


def server_env(database_url: str) -> dict[str, str]:
    """The environment of gunicorn and of the management commands."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(EXAMPLE)]),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    env.pop("REDIS_URL", None)  # local-memory cache and eager tasks, as in the demo
    return env


def ensure_loopback_database(database_url: str) -> dict[str, Any]:
    import dj_database_url

    config = dj_database_url.parse(database_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("DATABASE_URL must be a PostgreSQL URL (postgres://...).")
    host = config.get("HOST") or "localhost"
    if host != "localhost" and not host.startswith("/"):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise SystemExit(f"The database must be on this machine (loopback), not {host!r}.")
    return config


def prepare_database(config: dict[str, Any], *, reset: bool) -> None:
    """Create the database when it is missing; with ``reset``, drop it first."""
    import psycopg
    from psycopg import sql

    params = {
        "host": config.get("HOST") or "localhost",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    name = config["NAME"]
    with psycopg.connect(**params, autocommit=True) as conn:
        if reset:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def postgres_url(database: str, *, reset: bool = False) -> Iterator[str]:
    """A PostgreSQL URL for a benchmark: ``DATABASE_URL`` when it is set (PostgreSQL on loopback),
    else that of database ``database`` on a throwaway cluster started the way
    ``scripts/run_tests.py`` starts one, stopped and deleted afterwards.

    The database exists when the URL is yielded; ``reset`` drops and recreates it first.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url:
        prepare_database(ensure_loopback_database(url), reset=reset)
        yield url
        return
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    from run_tests import find_pg_bindir, temporary_postgres

    bindir = find_pg_bindir()
    if bindir is None:
        raise SystemExit("No DATABASE_URL and no PostgreSQL server binaries to start one.")
    with temporary_postgres(bindir) as server:
        url = f"postgres://postgres@127.0.0.1:{server.port}/{database}"
        prepare_database(ensure_loopback_database(url), reset=reset)
        yield url


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=EXAMPLE, env=env, check=True, timeout=600
    )


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int, threads: int, port: int
) -> Iterator[tuple[str, int]]:
    """Run gunicorn until the block ends (also on an error or a signal).

    :returns: (as the value of the ``with``) the path of its log and the master's pid.
    """
    log = Path(tempfile.mkdtemp(prefix="ek-bench-")) / "gunicorn.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--backlog",
        "2048",
        "--error-logfile",
        str(log),
    ]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, cwd=EXAMPLE, env=env, stdout=out, stderr=out, start_new_session=True
        )

    def stop() -> None:
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session gunicorn was started in
            process.wait(timeout=10)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_healthy(port, process, log)
        yield str(log), process.pid
    finally:
        stop()
        signal.signal(signal.SIGTERM, previous)


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            status, _headers, _body = request(port, "GET", "/api/v1/health/", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not become healthy within 60 s; see {log}")


# --- HTTP ------------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request on a new connection (sync workers close every connection anyway)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        sent = {"Accept": "application/json", **(headers or {})}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0..100) of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- CPU accounting ----------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_facts(command: str, database: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows that say where and when a benchmark ran: date, commit, ``command``, CPU, memory,
    then the ``database`` rows the caller measured, then Python and Django."""
    import django

    def first(path: str, key: str) -> str:
        with suppress(OSError):
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        return "?"

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return [
        ("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        ("commit", commit or "?"),
        ("command", command),
        ("CPU", f"{os.cpu_count()} cores, {first('/proc/cpuinfo', 'model name')}"),
        ("memory", first("/proc/meminfo", "MemTotal")),
        *database,
        ("Python", f"{platform.python_version()}; Django {django.get_version()}"),
    ]


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle, all cores added."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return math.nan
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICK


def gunicorn_workers(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def database_backends() -> list[int]:
    """The PostgreSQL backends connected to this database, except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(row[0]) for row in cursor.fetchall()]


@dataclass
class CpuSample:
    at: float
    workers: dict[int, float]
    backends: dict[int, float]
    client: float
    busy: float
    broker: dict[int, float] = field(default_factory=dict)


@dataclass
class CpuUse:
    """CPU spent during a measurement: by gunicorn, by PostgreSQL, by the client, by others."""

    server: float
    database: float
    client: float
    other_share: float  # of the machine's capacity (all cores) over the measurement
    broker: float = 0.0  # the broker's processes (``CpuMeter(broker=...)``), when measured


class CpuMeter:
    """Samples the CPU of gunicorn's workers, this database's backends, this process, and of
    ``broker`` (process ids, e.g. a ``redis-server`` the site queues its tasks on)."""

    def __init__(self, master: int, *, broker: tuple[int, ...] = ()) -> None:
        self.master = master
        self.broker = broker

    def sample(self) -> CpuSample:
        backends = database_backends()
        return CpuSample(
            at=time.perf_counter(),
            workers={pid: process_cpu(pid) for pid in gunicorn_workers(self.master)},
            backends={pid: process_cpu(pid) for pid in backends},
            client=time.process_time(),
            busy=machine_busy(),
            broker={pid: process_cpu(pid) for pid in self.broker},
        )

    def between(self, start: CpuSample) -> CpuUse:
        end = self.sample()

        def spent(before: dict[int, float], after: dict[int, float]) -> float:
            return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

        server = spent(start.workers, end.workers)
        database = spent(start.backends, end.backends)
        client = end.client - start.client
        broker = spent(start.broker, end.broker)
        capacity = (end.at - start.at) * (os.cpu_count() or 1)
        other = (end.busy - start.busy) - server - database - client - broker
        share = max(other, 0.0) / capacity if capacity else 0.0
        return CpuUse(server, database, client, share, broker)


@dataclass
class LoadResult:
    name: str
    requests: int
    elapsed: float
    latencies: list[float]
    statuses: Counter[int]
    errors: Counter[str]
    cpu: CpuUse | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else math.nan

    def row(self) -> str:
        lat = sorted(self.latencies)
        ms = [percentile(lat, q) * 1000 for q in (50, 95, 99)]
        bad = sum(n for status, n in self.statuses.items() if status != 200)
        bad += sum(self.errors.values())
        return (
            f"| {self.name} | {self.requests} | {self.rps:.1f} | {ms[0]:.1f} | {ms[1]:.1f} "
            f"| {ms[2]:.1f} | {bad} | {cpu_columns(self.cpu, self.requests)} |"
        )


CPU_HEADER = "server CPU ms/req | PostgreSQL CPU ms/req | client CPU ms/req | other load"
CPU_ALIGN = "---:|---:|---:|---:"


def cpu_columns(cpu: CpuUse | None, requests: int) -> str:
    if cpu is None or not requests:
        return " | | | "
    per = [value * 1000 / requests for value in (cpu.server, cpu.database, cpu.client)]
    return f"{per[0]:.1f} | {per[1]:.1f} | {per[2]:.1f} | {cpu.other_share:.0%}"


def run_load(
    name: str,
    port: int,
    paths: list[str],
    *,
    concurrency: int,
    duration: float,
    max_requests: int,
    warmup: float,
    meter: CpuMeter | None = None,
) -> LoadResult:
    """GET ``paths`` (round robin) from ``concurrency`` threads; bounded in time and count.

    The warm-up is a separate, unmeasured run; the CPU of the server, of PostgreSQL and of this
    client is sampled around the measured run.
    """
    if warmup > 0:
        run_load(
            name,
            port,
            paths,
            concurrency=concurrency,
            duration=warmup,
            max_requests=max_requests,
            warmup=0,
        )
    start_cpu = meter.sample() if meter else None
    duration = min(duration, MAX_DURATION)
    max_requests = min(max_requests, MAX_REQUESTS)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    issued = 0
    measure_from = time.perf_counter()
    stop_at = measure_from + duration

    def worker(offset: int) -> None:
        nonlocal issued
        n = offset
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            with lock:
                if issued >= max_requests:
                    return
                issued += 1
            path = paths[n % len(paths)]
            n += concurrency
            began = time.perf_counter()
            try:
                status, _headers, _body = request(port, "GET", path)
            except OSError as exc:
                status, error = 0, type(exc).__name__
            else:
                error = ""
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if error:
                    errors[error] += 1
                else:
                    statuses[status] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT + 5)
    end = min(time.perf_counter(), stop_at + REQUEST_TIMEOUT)
    elapsed = max(end - measure_from, 1e-9)
    cpu = meter.between(start_cpu) if meter and start_cpu else None
    close_db()
    return LoadResult(name, len(latencies), elapsed, latencies, statuses, errors, cpu)


# --- data for the races (written with the ORM of the example project) ------------------------


def setup_django(env: dict[str, str]) -> None:
    for key in ("DATABASE_URL", "SECRET_KEY", "DJANGO_DEBUG", "ALLOWED_HOSTS", "DJANGO_LOG_LEVEL"):
        os.environ[key] = env[key]
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    for entry in (str(EXAMPLE), str(ROOT / "src")):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    import django

    django.setup()


@dataclass
class Buyer:
    username: str
    user_id: int
    token: str


def make_buyers(count: int, product_id: int, run: str) -> list[Buyer]:
    """Create ``count`` users, each with 1 unit of the product in its cart and an access token."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from ecommerce_kit.cart import services as cart_services

    model = get_user_model()
    password = make_password(uuid.uuid4().hex)
    users = model.objects.bulk_create(
        [
            model(
                username=f"bench-{run}-{n}",
                email=f"bench-{run}-{n}@bench.invalid",
                password=password,
            )
            for n in range(count)
        ]
    )
    buyers = []
    for user in users:
        cart = cart_services.get_or_create_user_cart(user=user)
        cart_services.add_item(cart=cart, product_id=product_id, quantity=1)
        buyers.append(Buyer(user.username, user.pk, str(AccessToken.for_user(user))))
    return buyers


def make_product(stock: int, run: str) -> int:
    from moneyed import Money

    from ecommerce_kit.catalog.models import Category, Product, Store

    store = Store.objects.get(slug="mercado-kwanza")
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    product = Product.objects.create(
        store=store,
        category=category,
        name=f"Bench item {run}",
        slug=f"bench-item-{run}",
        description="Checkout race.",
        price=Money("2500.00", "AOA"),
        stock_quantity=stock,
    )
    return int(product.pk)


def close_db() -> None:
    from django.db import connections

    connections.close_all()


# --- races -----------------------------------------------------------------------------------


@dataclass
class RaceResult:
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    replayed: int = 0
    duration: float = 0.0


def race(calls: list[Callable[[], tuple[int, dict[str, str], bytes]]]) -> RaceResult:
    """Run every call in its own thread, released together by a barrier."""
    result = RaceResult()
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls) + 1, timeout=60)

    def worker(call: Callable[[], tuple[int, dict[str, str], bytes]]) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        began = time.perf_counter()
        try:
            status, headers, raw = call()
        except OSError as exc:
            with lock:
                result.errors[type(exc).__name__] += 1
            return
        took = time.perf_counter() - began
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"raw": raw[:200].decode(errors="replace")}
        with lock:
            result.statuses[status] += 1
            result.latencies.append(took)
            if isinstance(body, dict):
                result.bodies.append(body)
                if body.get("code"):
                    result.codes[str(body["code"])] += 1
            if headers.get("idempotent-replayed") == "true":
                result.replayed += 1

    threads = [threading.Thread(target=worker, args=(call,), daemon=True) for call in calls]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 10)
    result.duration = time.perf_counter() - began
    return result


def checkout_call(port: int, token: str, key: str | None = None) -> Callable[[], Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return lambda: request(port, "POST", "/api/v1/checkout/", body=CHECKOUT_BODY, headers=headers)


def checkout_race(
    port: int, *, buyers: int, stock: int, run: str, meter: CpuMeter
) -> dict[str, Any]:
    from ecommerce_kit.catalog.models import Product
    from ecommerce_kit.orders.models import OrderItem

    product_id = make_product(stock, f"{run}-race")
    people = make_buyers(buyers, product_id, f"{run}-race")
    start = meter.sample()
    close_db()
    result = race([checkout_call(port, buyer.token) for buyer in people])
    cpu = meter.between(start)
    remaining = Product.objects.get(pk=product_id).stock_quantity
    ordered = OrderItem.objects.filter(product_id=product_id).count()
    close_db()
    ok = result.statuses.get(201, 0)
    lat = sorted(result.latencies)
    return {
        "buyers": buyers,
        "stock": stock,
        "successes": ok,
        "conflicts": result.statuses.get(409, 0),
        "codes": dict(result.codes),
        "other": {s: n for s, n in result.statuses.items() if s not in (201, 409)},
        "errors": dict(result.errors),
        "duration": result.duration,
        "requests_per_s": sum(result.statuses.values()) / result.duration,
        "checkouts_per_s": ok / result.duration,
        "p50": percentile(lat, 50) * 1000,
        "p95": percentile(lat, 95) * 1000,
        "max": (lat[-1] if lat else math.nan) * 1000,
        "cpu": cpu_columns(cpu, sum(result.statuses.values())),
        "stock_left": remaining,
        "order_lines": ordered,
        "passed": ok == min(stock, buyers)
        and ordered == ok
        and remaining == stock - ok
        and result.statuses.get(409, 0) == buyers - ok,
    }


def idempotency_race(port: int, *, requests: int, run: str) -> dict[str, Any]:
    from ecommerce_kit.orders.models import Order

    product_id = make_product(100, f"{run}-idem")
    buyer = make_buyers(1, product_id, f"{run}-idem")[0]
    close_db()
    key = f"bench-{run}-{uuid.uuid4().hex}"
    result = race([checkout_call(port, buyer.token, key) for _ in range(requests)])
    orders = list(Order.objects.filter(buyer_id=buyer.user_id).values_list("number", flat=True))
    close_db()
    numbers = {body.get("order", {}).get("number") for body in result.bodies}
    return {
        "requests": requests,
        "statuses": dict(result.statuses),
        "errors": dict(result.errors),
        "replayed": result.replayed,
        "distinct_order_numbers": len(numbers),
        "orders_in_db": len(orders),
        "duration": result.duration,
        "passed": len(orders) == 1
        and numbers == {orders[0]}
        and result.statuses.get(201, 0) == requests,
    }


# --- main ------------------------------------------------------------------------------------


def read_paths(port: int) -> dict[str, list[str]]:
    """The GET scenarios; product ids come from the seeded catalog (groups and standalone)."""
    status, _headers, raw = request(port, "GET", "/api/v1/products/?page_size=100")
    if status != 200:
        raise SystemExit(f"GET /api/v1/products/ answered {status}")
    ids = [item["id"] for item in json.loads(raw)["results"]]
    filters = {
        "category": "electronica",
        "in_stock": "true",
        "min_price": "10000",
        "currency": "AOA",
        "ordering": "-price",
    }
    return {
        "GET /api/v1/products/ (default page: 20)": ["/api/v1/products/"],
        "GET /api/v1/products/?category=…&in_stock&min_price&currency&ordering=-price": [
            "/api/v1/products/?" + urlencode(filters)
        ],
        "GET /api/v1/products/{id}/ (100 ids, round robin)": [
            f"/api/v1/products/{pk}/" for pk in ids
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads for GETs")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per GET scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per GET scenario")
    parser.add_argument("--buyers", type=int, default=50, help="K buyers in the checkout race")
    parser.add_argument("--stock", type=int, default=20, help="S units of the raced product")
    parser.add_argument("--idempotent-requests", type=int, default=10)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--skip-seed", action="store_true", help="skip migrate and seed_demo")
    parser.add_argument("--only", choices=["reads", "races"], help="run only one part")
    args = parser.parse_args(argv)
    if not 1 <= args.buyers <= MAX_BUYERS:
        parser.error(f"--buyers must be between 1 and {MAX_BUYERS}")
    if not 1 <= args.concurrency <= 256:
        parser.error("--concurrency must be between 1 and 256")

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    config = ensure_loopback_database(database_url)
    env = server_env(database_url)
    prepare_database(config, reset=args.reset)
    if not args.skip_seed:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo")
    setup_django(env)
    run = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
    port = args.port or free_port()

    print(
        f"\n## gunicorn --workers {args.workers} --threads {args.threads} on {HOST}:{port}; "
        f"database {config['NAME']} on {config.get('HOST')}:{config.get('PORT')}\n"
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}\n"
    )
    load_before = os.getloadavg()
    with gunicorn(env, workers=args.workers, threads=args.threads, port=port) as (log, master):
        meter = CpuMeter(master)
        if args.only in (None, "reads"):
            print(
                f"Read load: {args.concurrency} client threads, {args.duration:g} s per scenario "
                f"after {args.warmup:g} s warm-up, a new connection per request.\n"
            )
            print(
                f"| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | non-200 "
                f"| {CPU_HEADER} |"
            )
            print(f"|---|---:|---:|---:|---:|---:|---:|{CPU_ALIGN}|")
            for name, paths in read_paths(port).items():
                result = run_load(
                    name,
                    port,
                    paths,
                    concurrency=args.concurrency,
                    duration=args.duration,
                    max_requests=args.max_requests,
                    warmup=args.warmup,
                    meter=meter,
                )
                print(result.row(), flush=True)
            print()
        passed = True
        if args.only in (None, "races"):
            print("Checkout races: K buyers, 1 unit each in their carts, all released at once.\n")
            print(
                "| buyers K | stock S | 201 | 409 | other | duration s | requests/s "
                "| checkouts/s | p50 ms | p95 ms | max ms | stock left | order lines | ok "
                f"| {CPU_HEADER} |"
            )
            print(
                f"|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|{CPU_ALIGN}|"
            )
            codes: Counter[str] = Counter()
            for stock in dict.fromkeys((args.stock, args.buyers)):
                res = checkout_race(
                    port, buyers=args.buyers, stock=stock, run=f"{run}-{stock}", meter=meter
                )
                passed = passed and res["passed"]
                codes.update(res["codes"])
                other = {**res["other"], **res["errors"]} or "—"
                print(
                    f"| {res['buyers']} | {res['stock']} | {res['successes']} "
                    f"| {res['conflicts']} | {other} | {res['duration']:.2f} "
                    f"| {res['requests_per_s']:.1f} | {res['checkouts_per_s']:.1f} "
                    f"| {res['p50']:.0f} | {res['p95']:.0f} | {res['max']:.0f} "
                    f"| {res['stock_left']} | {res['order_lines']} "
                    f"| {'PASS' if res['passed'] else 'FAIL'} | {res['cpu']} |",
                    flush=True,
                )
            print(f"\nError codes of the answers: {dict(codes) or '—'}\n")
            idem = idempotency_race(port, requests=args.idempotent_requests, run=run)
            passed = passed and idem["passed"]
            print(f"Idempotency race: {idem['requests']} concurrent checkouts, one key.\n")
            print(
                "| requests | statuses | replayed | distinct order numbers | orders in DB "
                "| duration s | ok |"
            )
            print("|---:|---|---:|---:|---:|---:|---|")
            print(
                f"| {idem['requests']} | {idem['statuses']} | {idem['replayed']} "
                f"| {idem['distinct_order_numbers']} | {idem['orders_in_db']} "
                f"| {idem['duration']:.2f} | {'PASS' if idem['passed'] else 'FAIL'} |"
            )
    load_after = os.getloadavg()
    print(
        f"\nLoad average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.2f}' for v in load_after)}. "
        "'other load' is the share of all cores used by processes other than gunicorn, "
        "this database's PostgreSQL backends and this client during the measurement."
    )
    if not passed:
        print(f"\nA race check failed; server log: {log}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
