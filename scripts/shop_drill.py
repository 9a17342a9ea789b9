#!/usr/bin/env python3
"""Run the example shop as in production, on one machine, under a mixed load; check the books.

One command starts PostgreSQL and Redis (or uses ``DATABASE_URL`` and ``REDIS_URL``), migrates
and seeds the example site, and runs it as docs/deployment.md describes: gunicorn with 4 worker
processes on 127.0.0.1, a Celery worker and Celery beat with the example's Celery app, order
e-mails written to files. Client threads then drive a mixed load through the HTTP API for a
bounded time:

- anonymous browsing and search; anonymous carts merged into the buyer's cart at sign-in;
- buyers' carts and checkouts with the ``dummy`` gateway in its modes (captured at once,
  authorized, declined, pending and completed later by signed webhooks, some redelivered and out
  of order, some after the payment timeout, some never);
- buyers' cancels and second payments of pending orders; staff refunds (partial and whole) and
  cancels (of one store's part and of whole orders); the two sellers processing, shipping and
  delivering their fulfilments.

Each client first does each of these once (and checks out in each mode), then a random mix.

With ``--kill-worker`` the Celery worker is killed (``SIGKILL``) in the middle of the run and a new
one started; with ``--kill-web`` one gunicorn worker process is killed too (gunicorn starts
another). Afterwards the script waits for the webhooks and Celery tasks to drain, stops the site
and checks the books:

- stock is conserved: for every product, the stock before the load equals its stock now plus the
  units held by order lines whose stock was not given back (lines of cancelled parts are);
- ``manage.py recompute_payments --check`` is clean: every payment's and order's money agrees
  with the ledger; cancelled orders hold no money and no order keeps money taken beyond what it
  is owed (with ``--kill-web``, after the payment calls the killed process had recorded but not
  made are made, as the periodic ``retry_payment_calls`` does once they are five minutes old);
- every order e-mail recorded was sent exactly once (the rows against the files the workers
  wrote), and one was recorded for every order confirmed;
- no 5xx answer, neither seen by the clients nor in gunicorn's access log, and no error logged;
- every Celery task ran (the queue is empty and no e-mail is left ``pending``).

It prints a report and exits non-zero when a check fails. Everything listens on 127.0.0.1 only
and is stopped, and its files deleted (unless ``--keep``), at the end, on error, on Ctrl-C and on
SIGTERM.

Usage: ``python scripts/shop_drill.py [--duration 60] [--clients 8] [--kill-worker] [--kill-web]
[--keep]``, from a checkout with the ``dev`` extra installed; see docs/deployment.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_tests import TemporaryPostgres, find_pg_bindir, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
WEBHOOK_SECRET = "drill-" + secrets.token_hex(16)
#: The e-mail file backend ends each message with a line of 79 dashes.
MESSAGE_END = b"-" * 79 + b"\n"
ORDER_NUMBER = re.compile(r"\b[A-Z0-9]+-[23456789A-HJ-NP-Z]{4}-[23456789A-HJ-NP-Z]{4}\b")
ADDRESS = {
    "full_name": "Drill Buyer",
    "line1": "Rua da Missão 10",
    "city": "Luanda",
    "country": "AO",
}

#: The drill's settings: the example site's, with e-mails written to files, a short payment
#: timeout, the periodic tasks every few seconds, and a broker that hands a dead worker's messages
#: to another worker after a few seconds instead of an hour.
SETTINGS = '''"""The shop drill's settings: the example site's, with the changes a drill needs."""

import os
from datetime import timedelta

from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE, ECOMMERCE_KIT

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["DRILL_OUTBOX"]
ECOMMERCE_KIT = {{
    **ECOMMERCE_KIT,
    "PAYMENT_TIMEOUT": timedelta(seconds={payment_timeout}),
}}
CELERY_BEAT_SCHEDULE = {{
    name: {{**entry, "schedule": timedelta(seconds={beat_interval})}}
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}}
CELERY_BROKER_TRANSPORT_OPTIONS = {{
    "visibility_timeout": {visibility_timeout},
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}}
'''


class DrillError(Exception):
    """The drill could not run (a server did not start, the site could not be set up)."""


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


# --- Processes ---------------------------------------------------------------------------------


class Service:
    """A child process in its own process group, its output in a file."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=EXAMPLE,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """``SIGKILL`` the whole process group: no clean-up, no goodbye to the broker."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """``SIGTERM`` the process group, then ``SIGKILL`` what is left after ``timeout``."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()


def wait_for(ready: Callable[[], bool], what: str, timeout: float, service: Service | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if service is not None and not service.alive():
            tail = service.output()[-3000:]
            raise DrillError(f"{what} exited with {service.popen.returncode}:\n{tail}")
        time.sleep(0.2)
    tail = f":\n{service.output()[-3000:]}" if service is not None else ""
    raise DrillError(f"{what} not ready after {timeout:.0f}s{tail}")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux ``/proc``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text().split()]
    return found


# --- PostgreSQL and Redis ----------------------------------------------------------------------


class Database:
    """A database of its own on ``DATABASE_URL``'s server, or on a throwaway cluster."""

    def __init__(self, server_url: str, keep: bool) -> None:
        self.server_url = server_url
        self.keep = keep
        self.cluster: TemporaryPostgres | None = None
        self.name = f"ek_drill_{secrets.token_hex(4)}"
        self.url = ""

    def start(self) -> str:
        if not self.server_url:
            bindir = find_pg_bindir()
            if bindir is None:
                raise DrillError(
                    "PostgreSQL not found: install its server binaries (Debian: apt-get install "
                    "postgresql) or set DATABASE_URL to a server where the drill may create a "
                    "database"
                )
            self.cluster = TemporaryPostgres(bindir)
            self.server_url = self.cluster.start()
            log(f"PostgreSQL {self.cluster.version}: a throwaway cluster, port {self.cluster.port}")
        elif not self.server_url.startswith(("postgres://", "postgresql://")):
            raise DrillError("DATABASE_URL must be a PostgreSQL URL (the drill runs on PostgreSQL)")
        self._execute(f'CREATE DATABASE "{self.name}"')
        self.url = urlsplit(self.server_url)._replace(path=f"/{self.name}").geturl()
        log(f"Database {self.name} on {urlsplit(self.server_url).hostname}")
        return self.url

    def _execute(self, sql: str) -> None:
        import psycopg

        maintenance = urlsplit(self.server_url)._replace(path="/postgres").geturl()
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        elif self.url and not self.keep:
            with contextlib.suppress(Exception):
                self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def start_redis(directory: Path) -> tuple[Service, str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).is_file():
        raise DrillError(
            "redis-server not found: install Redis (Debian: apt-get install redis-server) or set "
            "REDIS_URL to a Redis the drill may use"
        )
    port = free_port()
    service = Service(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(directory), "--protected-mode", "yes"],
        env=dict(os.environ),
        log_path=directory / "redis.log",
    )
    wait_for(lambda: port_open(port), "redis-server", 15, service)
    log(f"Redis: a throwaway redis-server on port {port}")
    return service, f"redis://127.0.0.1:{port}/0"


# --- The HTTP client ---------------------------------------------------------------------------


@dataclass
class Stats:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    connection_errors: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)

    def record(self, action: str, status: int, code: str, seconds: float) -> None:
        with self.lock:
            self.calls[(action, status, code)] += 1
            self.latencies.append(seconds)

    def count(self, event: str, n: int = 1) -> None:
        with self.lock:
            self.events[event] += n


class Api:
    """One simulated client of the shop: its own address (``X-Forwarded-For``) and language."""

    def __init__(self, port: int, stats: Stats, *, address: str, language: str = "en") -> None:
        self.port = port
        self.stats = stats
        self.address = address
        self.language = language
        self.token = ""
        self.login: tuple[str, str] | None = None
        self.first_modes: list[str] = []

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        action: str,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        auth: bool = True,
        retry_key: bool = False,
    ) -> tuple[int, Any]:
        """Send one request; return ``(status, JSON body)``. ``(0, None)``: the connection broke.

        ``retry_key``: the request carries an ``Idempotency-Key``; a broken connection is retried
        with the same key (a client does not know whether the first attempt happened).
        """
        payload = (
            raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        )
        sent = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": self.language,
            "X-Forwarded-For": self.address,
            **(headers or {}),
        }
        attempts = 4 if retry_key else 1
        attempt = 0
        signed_in_again = False
        while attempt < attempts:
            attempt += 1
            if auth and self.token:
                sent["Authorization"] = f"Bearer {self.token}"
            started = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                connection.request(method, f"/api/v1/{path}", body=payload, headers=sent)
                response = connection.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                self.stats.record(action, 0, exc.__class__.__name__, time.monotonic() - started)
                with self.stats.lock:
                    self.stats.connection_errors.append(f"{method} {path}: {exc!r}")
                time.sleep(0.5 * attempt)
                continue
            finally:
                connection.close()
            try:
                answer = json.loads(data) if data else None
            except ValueError:
                answer = None
            code = answer.get("code", "") if isinstance(answer, dict) else ""
            self.stats.record(action, status, str(code), time.monotonic() - started)
            if status >= 500:
                with self.stats.lock:
                    self.stats.server_errors.append(
                        f"{method} /api/v1/{path} -> {status}: {data[:400]!r}"
                    )
            if status == 401 and self.login and auth and not signed_in_again:
                # The access token expired: sign in again once and repeat the request.
                signed_in_again = True
                if self.sign_in(*self.login):
                    attempt -= 1
                    continue
            return status, answer
        return 0, None

    def sign_in(self, username: str, password: str) -> bool:
        self.login = (username, password)
        self.token = ""
        status, answer = self.call(
            "POST",
            "auth/token/",
            {"username": username, "password": password},
            action="sign in",
            auth=False,
        )
        if status == 200:
            self.token = answer["access"]
            return True
        return False


def money(amount: Decimal | str, currency: str) -> dict[str, str]:
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency}


# --- Webhooks ----------------------------------------------------------------------------------


class Webhooks:
    """The provider's side of the ``dummy`` gateway: signed events delivered later, some twice and
    out of order, by one thread."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.api = Api(port, stats, address="192.0.2.1")
        self.stats = stats
        self.queue: list[tuple[float, int, bytes]] = []
        self.lock = threading.Lock()
        self.sequence = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def send_later(self, delay: float, event: dict[str, Any], copies: int = 1) -> None:
        body = json.dumps(event).encode()
        with self.lock:
            for copy in range(copies):
                self.sequence += 1
                due = time.monotonic() + delay + copy * random.uniform(0.2, 2.0)
                self.queue.append((due, self.sequence, body))
        self.stats.count("webhooks scheduled", copies)

    def pending(self) -> int:
        with self.lock:
            return len(self.queue)

    def _run(self) -> None:
        while not self.stopped.is_set():
            now = time.monotonic()
            with self.lock:
                self.queue.sort()
                due = [item for item in self.queue if item[0] <= now]
                self.queue = [item for item in self.queue if item[0] > now]
            for _due, _sequence, body in due:
                self._deliver(body)
            time.sleep(0.05)

    def _deliver(self, body: bytes) -> None:
        digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        status, answer = self.api.call(
            "POST",
            "payments/webhooks/dummy/",
            raw=body,
            action="webhook",
            headers={"X-Dummy-Signature": f"sha256={digest}"},
            auth=False,
        )
        if status == 200:
            result = str((answer or {}).get("result", "")).split(":")[0]
            self.stats.count(f"webhook {result or 'ok'}")

    def drain(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.stopped.set()
        self.thread.join(timeout=30)


# --- The load ----------------------------------------------------------------------------------


@dataclass
class Shop:
    """What the clients know about the shop after the set-up."""

    port: int
    stats: Stats
    webhooks: Webhooks
    payment_timeout: float
    buyers: list[tuple[str, str]]
    staff: Api
    sellers: list[Api]
    products: list[int]
    words: list[str]
    categories: list[str]
    deadline: float = 0.0


def checkout(shop: Shop, api: Api, rng: random.Random) -> None:
    """Check the buyer's cart out in one of the dummy gateway's modes; follow a pending payment
    with the provider's webhooks."""
    modes = ["tok_success", "tok_pending", "tok_authorize", "tok_decline"]
    if api.first_modes:
        # The first checkouts of a client go through every mode; then the mix is random.
        mode = api.first_modes.pop(0)
    else:
        mode = rng.choices(modes, weights=[40, 30, 15, 15])[0]
    status, answer = api.call(
        "POST",
        "checkout/",
        {"shipping_address": ADDRESS, "payment_method": "dummy", "payment_data": {"token": mode}},
        action=f"checkout {mode}",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        retry_key=True,
    )
    if status != 201:
        return
    shop.stats.count(f"orders placed ({mode})")
    payment = answer["payment"]
    order = answer["order"]
    if mode == "tok_success" and rng.random() < 0.08:
        # A refund made in the provider's dashboard (a chargeback): the order goes on hold.
        amount = (Decimal(order["total"]["amount"]) / 4).quantize(Decimal("0.01"))
        if amount > 0:
            event = {
                "event_id": f"evt_{uuid.uuid4().hex}",
                "payment_id": payment["id"],
                "type": "payment.refunded",
                "amount": money(amount, order["currency"]),
            }
            shop.webhooks.send_later(rng.uniform(0.5, 3), event, copies=rng.choice([1, 2]))
            shop.stats.count("provider refunds sent")
    if mode != "tok_pending":
        return
    fate = rng.random()
    base = {"payment_id": payment["id"]}
    if fate < 0.55:
        # Completed: captured, sometimes reported as authorized too, in either order, some twice.
        events = [{**base, "event_id": f"evt_{uuid.uuid4().hex}", "type": "payment.captured"}]
        if rng.random() < 0.4:
            events.append(
                {**base, "event_id": f"evt_{uuid.uuid4().hex}", "type": "payment.authorized"}
            )
        for event in events:
            copies = 3 if rng.random() < 0.3 else 1
            shop.webhooks.send_later(rng.uniform(0.2, 4), event, copies=copies)
        shop.stats.count("pending payments completed by webhook")
    elif fate < 0.7:
        event = {**base, "event_id": f"evt_{uuid.uuid4().hex}", "type": "payment.failed"}
        shop.webhooks.send_later(rng.uniform(0.2, 3), event, copies=rng.choice([1, 2]))
        shop.stats.count("pending payments failed by webhook")
    elif fate < 0.85:
        # Paid at the provider after the kit gave up on it (cancelled it when it timed out).
        event = {**base, "event_id": f"evt_{uuid.uuid4().hex}", "type": "payment.captured"}
        shop.webhooks.send_later(shop.payment_timeout + rng.uniform(4, 7), event)
        shop.stats.count("pending payments captured after the timeout")
    else:
        shop.stats.count("pending payments never completed")


def fill_cart(shop: Shop, api: Api, rng: random.Random, *, headers: dict[str, str] | None = None):
    for product in rng.sample(shop.products, k=rng.randint(1, 3)):
        api.call(
            "POST",
            "cart/items/",
            {"product": product, "quantity": rng.randint(1, 3)},
            action="cart add",
            headers=headers,
        )


def browse(shop: Shop, api: Api, rng: random.Random) -> None:
    query: dict[str, Any] = rng.choice(
        [
            {"search": rng.choice(shop.words)},
            {"category": rng.choice(shop.categories)},
            {"ordering": rng.choice(["price", "-price", "name", "-created_at", "-rating"])},
            {"in_stock": "true", "page": rng.randint(1, 3)},
        ]
    )
    api.call("GET", f"products/?{urlencode(query)}", action="browse products")
    if rng.random() < 0.5:
        api.call("GET", f"products/{rng.choice(shop.products)}/", action="browse product")
    if rng.random() < 0.1:
        api.call("GET", "categories/", action="browse categories")
        api.call("GET", "stores/", action="browse stores")


def anonymous_cart_then_sign_in(shop: Shop, api: Api, rng: random.Random) -> None:
    """An anonymous cart filled before signing in, merged into the buyer's cart, checked out."""
    anonymous = Api(shop.port, shop.stats, address=api.address, language=api.language)
    status, cart = anonymous.call("POST", "cart/", action="cart create (anonymous)")
    if status != 201:
        return
    headers = {"X-Cart-Token": cart["token"]}
    fill_cart(shop, anonymous, rng, headers=headers)
    assert api.login is not None
    if not api.sign_in(*api.login):
        return
    status, _answer = api.call("POST", "cart/merge/", {"token": cart["token"]}, action="cart merge")
    if status == 200:
        shop.stats.count("anonymous carts merged")
        checkout(shop, api, rng)


def buy(shop: Shop, api: Api, rng: random.Random) -> None:
    if rng.random() < 0.5:
        api.call("DELETE", "cart/", action="cart empty")
    fill_cart(shop, api, rng)
    checkout(shop, api, rng)


def buyer_cancels(shop: Shop, api: Api, rng: random.Random) -> None:
    status_filter = rng.choice(["pending", "confirmed"])
    status, page = api.call("GET", f"orders/?status={status_filter}", action="orders list")
    if status == 200 and page["results"]:
        number = rng.choice(page["results"])["number"]
        status, _answer = api.call("POST", f"orders/{number}/cancel/", {}, action="buyer cancel")
        if status == 200:
            shop.stats.count("orders cancelled by their buyer")


def buyer_pays_again(shop: Shop, api: Api, rng: random.Random) -> None:
    """Pay a pending order again (``pay/``), racing the provider's webhooks for its first payment
    and the payment timeout: money beyond what is owed is given back."""
    status, page = api.call("GET", "orders/?status=pending", action="orders list")
    if status != 200 or not page["results"]:
        return
    number = rng.choice(page["results"])["number"]
    token = rng.choice(["tok_success", "tok_success", "tok_authorize", "tok_decline"])
    status, _answer = api.call(
        "POST",
        f"orders/{number}/pay/",
        {"payment_method": "dummy", "payment_data": {"token": token}},
        action=f"pay again {token}",
        headers={"Idempotency-Key": str(uuid.uuid4())},
        retry_key=True,
    )
    if status == 201:
        shop.stats.count("pending orders paid again")


def staff_acts(shop: Shop, rng: random.Random) -> None:
    api = shop.staff
    wanted = rng.choice(["confirmed", "confirmed", "processing", "shipped"])
    status, page = api.call("GET", f"orders/?status={wanted}&page_size=50", action="staff list")
    if status != 200 or not page["results"]:
        return
    order = rng.choice(page["results"])
    number = order["number"]
    total = Decimal(order["total"]["amount"])
    choice = rng.random()
    if choice < 0.3:
        # A random share, so that two partial refunds of one order differ (and so their e-mails).
        share = Decimal(rng.randint(500, 2500)) / 10000
        amount = (total * share).quantize(Decimal("0.01"))
        if amount > 0:
            status, _answer = api.call(
                "POST",
                f"orders/{number}/refund/",
                {"amount": money(amount, order["currency"])},
                action="staff refund (part)",
            )
            if status == 200:
                shop.stats.count("partial refunds by staff")
    elif choice < 0.45:
        status, _answer = api.call("POST", f"orders/{number}/refund/", {}, action="staff refund")
        if status == 200:
            shop.stats.count("whole refunds by staff")
    elif choice < 0.75:
        live = [f for f in order["fulfilments"] if f["status"] in ("pending", "processing")]
        if len(order["fulfilments"]) > 1 and live:
            fulfilment = rng.choice(live)
            status, _answer = api.call(
                "POST",
                f"fulfilments/{fulfilment['id']}/cancel/",
                {},
                action="staff cancel (one store's part)",
            )
            if status == 200:
                shop.stats.count("store parts cancelled by staff")
    else:
        status, _answer = api.call(
            "POST", f"orders/{number}/cancel/", {"reason": "drill"}, action="staff cancel"
        )
        if status == 200:
            shop.stats.count("orders cancelled by staff")


def seller_acts(shop: Shop, rng: random.Random) -> None:
    api = rng.choice(shop.sellers)
    step, move = rng.choice(
        [("pending", "process"), ("processing", "ship"), ("shipped", "deliver")]
    )
    status, page = api.call("GET", f"fulfilments/?status={step}", action="seller list")
    if status != 200 or not page["results"]:
        return
    fulfilment = rng.choice(page["results"])
    body = {"tracking_number": f"TRK{rng.randint(10**8, 10**9)}"} if move == "ship" else {}
    status, _answer = api.call(
        "POST", f"fulfilments/{fulfilment['id']}/{move}/", body, action=f"seller {move}"
    )
    if status == 200:
        shop.stats.count(f"fulfilments moved: {move}")


def client(shop: Shop, number: int, seed: int) -> None:
    """One client thread: a buyer of its own, who also browses anonymously; now and then it plays
    staff or a seller. Runs until the deadline."""
    rng = random.Random(seed + number)
    username, password = shop.buyers[number % len(shop.buyers)]
    api = Api(
        shop.port,
        shop.stats,
        address=f"10.{number // 250}.{number % 250}.{rng.randint(1, 250)}",
        language="pt" if number % 2 else "en",
    )
    api.sign_in(username, password)
    anonymous = Api(shop.port, shop.stats, address=api.address, language=api.language)
    actions: list[tuple[Callable[[], None], int]] = [
        (lambda: browse(shop, anonymous, rng), 30),
        (lambda: buy(shop, api, rng), 30),
        (lambda: anonymous_cart_then_sign_in(shop, api, rng), 6),
        (lambda: buyer_cancels(shop, api, rng), 6),
        (lambda: buyer_pays_again(shop, api, rng), 5),
        (lambda: staff_acts(shop, rng), 12),
        (lambda: seller_acts(shop, rng), 20),
    ]
    modes = ["tok_success", "tok_pending", "tok_authorize", "tok_decline"]
    api.first_modes = modes[number % 4 :] + modes[: number % 4]
    # Each kind of action once first (each client from another one), so that even a short run
    # does a bit of everything; then a random mix by the weights.
    start = number % len(actions)
    first = [action for action, _w in actions[start:] + actions[:start]]
    while time.monotonic() < shop.deadline:
        if first:
            action = first.pop(0)
        else:
            action = rng.choices([a for a, _w in actions], weights=[w for _a, w in actions])[0]
        try:
            action()
        except Exception as exc:  # a bug in the drill itself: count it, keep going
            shop.stats.count(f"client errors: {exc.__class__.__name__}")
            with shop.stats.lock:
                shop.stats.server_errors.append(f"client error: {exc!r}")
        time.sleep(rng.uniform(0, 0.05))


# --- The site ----------------------------------------------------------------------------------


class Site:
    """The example site's processes around one database and one Redis."""

    def __init__(self, work: Path, env: dict[str, str], web_workers: int) -> None:
        self.work = work
        self.env = env
        self.web_workers = web_workers
        self.port = free_port()
        self.services: list[Service] = []
        self.web: Service | None = None
        self.worker: Service | None = None
        self.beat: Service | None = None
        self.workers_started = 0

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise DrillError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def _start(self, name: str, *command: str) -> Service:
        service = Service(name, list(command), env=self.env, log_path=self.work / f"{name}.log")
        self.services.append(service)
        return service

    def start_web(self) -> None:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.web = self._start(
            "gunicorn",
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.web_workers),
            "--timeout",
            "30",
            "--access-logfile",
            str(self.work / "access.log"),
            "--access-logformat",
            '%(s)s %(m)s "%(U)s" %(L)s',
        )

    def web_ready(self) -> None:
        assert self.web is not None
        wait_for(lambda: port_open(self.port), "gunicorn", 60, self.web)
        log(f"gunicorn: {self.web_workers} worker processes on 127.0.0.1:{self.port}")

    def start_worker(self, *, wait: bool = True) -> Service:
        self.workers_started += 1
        name = f"celery-worker-{self.workers_started}"
        worker = self._start(
            name,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "--hostname",
            f"drill{self.workers_started}@%h",
            "--without-gossip",
            "--without-mingle",
        )
        self.worker = worker
        if wait:
            self.worker_ready()
        return worker

    def worker_ready(self) -> None:
        worker = self.worker
        assert worker is not None
        wait_for(lambda: "ready." in worker.output(), worker.name, 60, worker)
        log(f"Celery worker {self.workers_started} ready (pid {worker.popen.pid})")

    def start_beat(self) -> None:
        beat = self._start(
            "celery-beat",
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.work / "beat-schedule"),
            "--pidfile",
            str(self.work / "beat.pid"),
        )
        self.beat = beat

    def beat_ready(self) -> None:
        beat = self.beat
        assert beat is not None
        wait_for(lambda: "beat: Starting" in beat.output(), "celery beat", 60, beat)
        log("Celery beat started")

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


def django_setup(env: dict[str, str], work: Path) -> None:
    """Make this process a client of the drill's database (for the snapshot and the checks)."""
    os.environ.update(env)
    for path in (str(work), str(EXAMPLE), str(ROOT / "src")):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def set_up_shop(site: Site, stats: Stats, args: argparse.Namespace) -> Shop:
    """Users, a second approved store with products of its own, and what clients will buy."""
    admin = Api(site.port, stats, address="192.0.2.10")
    seller = Api(site.port, stats, address="192.0.2.11")
    second = Api(site.port, stats, address="192.0.2.12")
    if not admin.sign_in("admin", "demo-admin-pass") or not seller.sign_in(
        "seller", "demo-seller-pass"
    ):
        raise DrillError("could not sign in as the demo's admin and seller")
    password = "drill-" + secrets.token_hex(8)
    buyers = []
    for n in range(args.clients):
        username = f"drill-buyer-{n}"
        registrar = Api(site.port, stats, address=f"192.0.2.{100 + n % 100}")
        status, answer = registrar.call(
            "POST",
            "auth/register/",
            {"username": username, "email": f"{username}@drill.example", "password": password},
            action="register",
        )
        if status != 201:
            raise DrillError(f"could not register {username}: {status} {answer}")
        buyers.append((username, password))
    status, answer = second.call(
        "POST",
        "auth/register/",
        {"username": "drill-seller", "email": "drill-seller@drill.example", "password": password},
        action="register",
    )
    if status != 201 or not second.sign_in("drill-seller", password):
        raise DrillError(f"could not register the second seller: {status} {answer}")
    status, store = second.call(
        "POST",
        "stores/",
        {"name": "Drill Store", "description": "The drill's second store."},
        action="store create",
    )
    if status != 201:
        raise DrillError(f"could not create the second store: {status} {store}")
    status, answer = admin.call(
        "POST", f"stores/{store['slug']}/approve/", {}, action="store approve"
    )
    if status != 200:
        raise DrillError(f"could not approve the second store: {status} {answer}")
    status, page = admin.call("GET", "categories/?page_size=100", action="browse categories")
    categories = page["results"] if status == 200 else []
    if not categories:
        raise DrillError("the demo has no categories")
    own = []
    for n in range(4):
        status, product = second.call(
            "POST",
            "products/",
            {
                "name": f"Drill lamp {n + 1}",
                "description": "A lamp sold by the drill's second store.",
                "price": money(Decimal(2500 + 750 * n), "AOA"),
                "stock_quantity": 12 + 4 * n,
                "category": categories[n % len(categories)]["id"],
            },
            action="product create",
        )
        if status != 201:
            raise DrillError(f"could not create a product: {status} {product}")
        own.append(product["id"])
    status, page = admin.call(
        "GET", "products/?in_stock=true&page_size=100&ordering=name", action="browse products"
    )
    demo: list[int] = []
    words: set[str] = set()
    for product in page.get("results", []) if status == 200 else []:
        words.update(w.lower() for w in product["name"].split() if len(w) > 3 and w.isalpha())
        if product["store"]["slug"] == store["slug"]:
            continue
        candidates = [v for v in product["variants"]] or [product]
        demo += [c["id"] for c in candidates if c["stock_quantity"] > 0]
    rng = random.Random(args.seed)
    hot = rng.sample(demo, k=min(len(demo), 14))
    log(f"Shop set up: {len(buyers)} buyers, 2 stores, {len(hot) + len(own)} products in play")
    return Shop(
        port=site.port,
        stats=stats,
        webhooks=Webhooks(site.port, stats),
        payment_timeout=args.payment_timeout,
        buyers=buyers,
        staff=admin,
        sellers=[seller, second],
        products=hot + own,
        words=sorted(words) or ["lamp"],
        categories=[c["slug"] for c in categories],
    )


# --- The books ---------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def stock_snapshot() -> dict[int, int]:
    from ecommerce_kit.catalog.models import Product

    return dict(Product.objects.values_list("pk", "stock_quantity"))


def check_stock(initial: dict[int, int]) -> Check:
    """Stock before = stock now + units of lines whose stock was not given back."""
    from django.db.models import Q, Sum

    from ecommerce_kit.orders.models import Fulfilment, OrderItem
    from ecommerce_kit.orders.states import FulfilmentStatus

    held = dict(
        OrderItem.objects.filter(fulfilment__stock_released=False)
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .values_list("product_id", "units")
    )
    now = stock_snapshot()
    problems = []
    for product_id, before in sorted(initial.items()):
        after = now.get(product_id, 0)
        if before != after + held.get(product_id, 0):
            problems.append(
                f"product {product_id}: {before} before, {after} now + {held.get(product_id, 0)} "
                "held by lines"
            )
    problems += [f"product {pk} was created during the load" for pk in set(now) - set(initial)]
    problems += [f"product {pk}: negative stock {q}" for pk, q in now.items() if q < 0]
    mismatched = Fulfilment.objects.filter(
        Q(status=FulfilmentStatus.CANCELLED, stock_released=False)
        | (Q(stock_released=True) & ~Q(status=FulfilmentStatus.CANCELLED))
    )
    problems += [
        f"fulfilment {f.pk}: {f.status} with stock_released={f.stock_released}"
        for f in mismatched[:20]
    ]
    units = sum(held.values())
    released = (
        OrderItem.objects.filter(fulfilment__stock_released=True).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    moved = sum(initial[p] - now.get(p, 0) for p in initial)
    detail = (
        f"{len(initial)} products; {units} units held by live lines, {released} given back by "
        f"cancellations; stock down by {moved} in total"
    )
    return Check("stock conserved", not problems, "; ".join(problems[:10]) or detail)


def check_ledger(*, late_calls: int = 0) -> Check:
    """``late_calls``: payment calls a killed web process had recorded but not made, made at the
    end (:func:`send_open_calls`) before the books are checked."""
    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.orders.states import OrderStatus
    from ecommerce_kit.payments.models import LedgerEntry, Payment
    from ecommerce_kit.payments.services import recompute_payments

    drifts = recompute_payments(repair=False)
    problems = [f"{d.subject}: {d.field} is {d.stored}, the ledger says {d.ledger}" for d in drifts]
    kept = Order.objects.filter(status=OrderStatus.CANCELLED, held__gt=0)
    problems += [f"cancelled order {o.number} still holds {o.held}" for o in kept[:10]]
    # Money taken beyond what is owed is given back at once; an authorization beyond it is
    # released when it is captured (the capture takes what is owed and voids the rest).
    surplus = [
        order
        for order in Order.objects.exclude(status=OrderStatus.CANCELLED).order_by("id")
        if order.charged - order.refunded > order.due
    ]
    problems += [
        f"order {o.number} keeps {o.charged - o.refunded} taken, more than it owes ({o.due})"
        for o in surplus
    ]
    open_entries = LedgerEntry.objects.filter(state__in=("requested", "unknown")).count()
    detail = (
        f"{Payment.objects.count()} payments, {LedgerEntry.objects.count()} ledger entries "
        f"({open_entries} still open), recompute_payments --check clean"
    )
    if late_calls:
        detail += (
            f"; {late_calls} payment calls recorded but not made by the killed web worker "
            "(made at the end, as retry_payment_calls does after five minutes)"
        )
    return Check("ledgers balanced", not problems, "; ".join(problems[:10]) or detail)


def outbox_messages(outbox: Path) -> list[Any]:
    """Every message the file backend wrote (a file may hold several)."""
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted(outbox.glob("*.log")):
        for chunk in path.read_bytes().split(MESSAGE_END):
            if chunk.strip():
                found.append(parser.parsebytes(chunk))
    return found


def compare_emails(
    rows: list[tuple[str, str, str, str]], messages: list[Any], *, may_be_stuck: int
) -> tuple[list[str], Counter[str]]:
    """Match the ``(order number, kind, state, recipient)`` of each recorded e-mail with the
    messages written, by recipient and order number; return the problems and the states."""
    states: Counter[str] = Counter(state for _n, _k, state, _r in rows)
    expected: Counter[tuple[str, str]] = Counter()
    stuck: Counter[tuple[str, str]] = Counter()
    for number, _kind, state, recipient in rows:
        if state == "sent":
            expected[(recipient, number)] += 1
        elif state == "sending":
            stuck[(recipient, number)] += 1
    written: Counter[tuple[str, str]] = Counter()
    bodies: Counter[tuple[str, str, str]] = Counter()
    problems = []
    for message in messages:
        match = ORDER_NUMBER.search(str(message["Subject"]))
        recipient = str(message["To"])
        if match is None:
            problems.append(f"a message to {recipient} names no order: {message['Subject']!r}")
            continue
        written[(recipient, match.group())] += 1
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        bodies[(recipient, str(message["Subject"]), text)] += 1
    for key in sorted(set(expected) | set(written) | set(stuck)):
        sent, got, unsure = expected[key], written[key], stuck[key]
        if not sent <= got <= sent + unsure:
            problems.append(
                f"{key[1]} to {key[0]}: {sent} e-mails recorded as sent"
                + (f" ({unsure} stuck sending)" if unsure else "")
                + f", {got} written"
            )
    problems += [
        f"the same message twice to {recipient}: {subject!r}"
        for (recipient, subject, _text), n in bodies.items()
        if n > 1
    ]
    if states["pending"]:
        problems.append(f"{states['pending']} e-mails still pending")
    if states["failed"]:
        problems.append(f"{states['failed']} e-mails failed")
    if states["sending"] > may_be_stuck:
        problems.append(f"{states['sending']} e-mails stuck sending (at most {may_be_stuck})")
    return problems, states


def check_emails(outbox: Path, *, may_be_stuck: int, killed_web: bool, late: int) -> Check:
    """Rows against messages (:func:`compare_emails`), and a confirmation for every order
    confirmed. ``late``: e-mails a killed web process had recorded but not queued, sent at the
    end as ``send_pending`` would have.

    A web process killed between a commit and its after-commit hooks loses the e-mails the hooks
    would have recorded: with ``killed_web`` those are reported, not failed."""
    from ecommerce_kit.orders.models import OrderEmail, TransitionLog

    rows = list(
        OrderEmail.objects.values_list("order__number", "kind", "state", "recipient").order_by("id")
    )
    messages = outbox_messages(outbox)
    problems, states = compare_emails(rows, messages, may_be_stuck=may_be_stuck)
    confirmed = set(
        TransitionLog.objects.filter(subject="order", target="confirmed").values_list(
            "order_id", flat=True
        )
    )
    announced = set(
        OrderEmail.objects.filter(kind="order_confirmed").values_list("order_id", flat=True)
    )
    unannounced = len(confirmed - announced)
    if unannounced and not killed_web:
        problems.append(f"{unannounced} confirmed orders have no confirmation e-mail")
    kinds = Counter(kind for _n, kind, _s, _r in rows)
    detail = (
        f"{len(rows)} recorded ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
        f"{states['sent']} sent, {len(messages)} messages written"
        + (f", {states['sending']} left sending by the killed worker" if states["sending"] else "")
        + (
            f", {late} recorded but not queued by the killed web worker (sent at the end, "
            "as send_pending would)"
            if late
            else ""
        )
        + (
            f"; {unannounced} confirmed orders without a confirmation: the killed web worker "
            "died between their commit and its after-commit hooks"
            if unannounced
            else ""
        )
    )
    return Check("e-mails sent once", not problems, "; ".join(problems[:10]) or detail)


def access_log_statuses(path: Path) -> Counter[int]:
    statuses: Counter[int] = Counter()
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            head = line.split(" ", 1)[0]
            if head.isdigit():
                statuses[int(head)] += 1
    return statuses


def check_server_errors(stats: Stats, work: Path, *, killed_web: bool) -> Check:
    statuses = access_log_statuses(work / "access.log")
    logged = [
        line
        for path in sorted(work.glob("*.log"))
        if path.name != "access.log"
        for line in path.read_text(errors="replace").splitlines()
        if "Internal Server Error" in line or "Traceback" in line or " raised unexpected" in line
    ]
    problems = list(stats.server_errors[:10])
    served_5xx = sum(n for status, n in statuses.items() if status >= 500)
    if served_5xx:
        problems.append(f"gunicorn's access log shows {served_5xx} answers 5xx")
    problems += [f"logged: {line.strip()[:300]}" for line in logged[:10]]
    broken = len(stats.connection_errors)
    if broken and not killed_web:
        problems.append(f"{broken} connections broken: {stats.connection_errors[:3]}")
    detail = (
        f"{sum(statuses.values())} answers in gunicorn's access log, none 5xx; "
        + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        + (f"; {broken} requests lost with the killed web worker" if broken else "")
    )
    return Check("no 5xx", not problems, "; ".join(problems[:10]) or detail)


def queue_depth(redis_url: str) -> tuple[int, int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    return int(client.llen("celery")), int(client.hlen("unacked"))


def check_drained(redis_url: str) -> Check:
    from ecommerce_kit.orders.models import OrderEmail

    queued, unacked = queue_depth(redis_url)
    pending = OrderEmail.objects.filter(state="pending").count()
    ok = queued == 0 and unacked == 0 and pending == 0
    detail = f"{queued} messages queued, {unacked} unacknowledged, {pending} e-mails pending"
    return Check("Celery drained", ok, detail)


def drain(redis_url: str, timeout: float) -> float:
    """Wait until the broker holds no message and no e-mail is pending; return how long it took."""
    from django.db import connection

    from ecommerce_kit.orders.models import OrderEmail

    started = time.monotonic()
    idle_since: float | None = None
    while time.monotonic() - started < timeout:
        queued, unacked = queue_depth(redis_url)
        pending = OrderEmail.objects.filter(state="pending").count()
        connection.close()
        if queued == 0 and unacked == 0 and pending == 0:
            break
        if queued == 0 and unacked == 0:
            # Nothing left for the worker; a pending e-mail that stays was never queued.
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 5:
                break
        else:
            idle_since = None
        time.sleep(0.5)
    return time.monotonic() - started


def send_open_calls() -> int:
    """Make the payment calls a killed web process recorded but never made (a refund reserved,
    then the process gone before calling the provider): what the periodic
    ``retry_payment_calls`` task does once they are five minutes old, with each call's own key.
    Returns how many calls were made."""
    from datetime import timedelta

    from ecommerce_kit.payments.services import retry_open_entries

    return retry_open_entries(older_than=timedelta(0))


def send_unqueued_emails() -> int:
    """Send the e-mails a killed web process recorded but never queued (what the periodic
    ``send_pending`` task does once they are ten minutes old); return how many were pending."""
    from datetime import timedelta

    from ecommerce_kit.emails import send_pending_emails
    from ecommerce_kit.orders.models import OrderEmail

    pending = OrderEmail.objects.filter(state="pending").count()
    if pending:
        send_pending_emails(older_than=timedelta(0))
    return pending


# --- Main --------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(
    args: argparse.Namespace, stats: Stats, checks: list[Check], elapsed: float, drained: float
) -> str:
    lines = ["", "===== Shop drill ====="]
    lines.append(
        f"{args.duration:.0f} s of load by {args.clients} clients on gunicorn ({args.web_workers} "
        "workers), a Celery worker and beat, PostgreSQL and Redis"
        + (", the Celery worker killed and replaced" if args.kill_worker else "")
        + (", a gunicorn worker killed" if args.kill_web else "")
    )
    requests = sum(stats.calls.values())
    lines.append(
        f"Requests: {requests} ({requests / max(args.duration, 1):.0f}/s); latency p50 "
        f"{percentile(stats.latencies, 0.5) * 1000:.0f} ms, p95 "
        f"{percentile(stats.latencies, 0.95) * 1000:.0f} ms, p99 "
        f"{percentile(stats.latencies, 0.99) * 1000:.0f} ms; drained in {drained:.1f} s"
    )
    by_action: dict[str, Counter[str]] = defaultdict(Counter)
    for (action, status, code), n in stats.calls.items():
        by_action[action][f"{status}{' ' + code if code else ''}"] += n
    for action in sorted(by_action):
        answers = ", ".join(f"{k} ×{n}" for k, n in sorted(by_action[action].items()))
        lines.append(f"  {action:<34} {answers}")
    lines.append("What happened:")
    for event, n in sorted(stats.events.items()):
        lines.append(f"  {event:<48} {n}")
    lines.append("The books:")
    for check in checks:
        lines.append(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    verdict = "passed" if all(c.ok for c in checks) else "FAILED"
    lines.append(f"Shop drill {verdict} in {elapsed:.0f} s.")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="shop_drill.py",
        description=(
            "Run the example shop with gunicorn, a Celery worker and beat on PostgreSQL and "
            "Redis, drive a mixed load through its API for a bounded time, then check the books "
            "(stock, ledgers, e-mails, 5xx, Celery). Exits non-zero when a check fails. "
            "DATABASE_URL: a PostgreSQL server where the drill creates (and drops) a database of "
            "its own; unset, a throwaway cluster is started. REDIS_URL: a Redis the drill may use "
            "(unset, a throwaway redis-server is started)."
        ),
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument(
        "--web-workers", type=int, default=4, help="gunicorn worker processes (default 4)"
    )
    parser.add_argument(
        "--kill-worker",
        action="store_true",
        help="SIGKILL the Celery worker mid-run and start a new one",
    )
    parser.add_argument(
        "--kill-web",
        action="store_true",
        help="SIGKILL one gunicorn worker process mid-run (gunicorn starts another)",
    )
    parser.add_argument(
        "--payment-timeout",
        type=float,
        default=None,
        help="seconds before an unpaid order is cancelled (default: a third of --duration, "
        "at least 5)",
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the clients")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the working directory (logs, e-mails, report.json) and, on DATABASE_URL's "
        "server, the database",
    )
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.clients < 1 or args.web_workers < 1:
        parser.error("--duration, --clients and --web-workers must be positive")
    if args.payment_timeout is None:
        args.payment_timeout = max(5.0, round(args.duration / 3))
    return args


def run(args: argparse.Namespace, work: Path, stack: contextlib.ExitStack) -> int:
    started = time.monotonic()
    database = Database(os.environ.get("DATABASE_URL", ""), args.keep)
    stack.callback(database.stop)
    database_url = database.start()
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        redis, redis_url = start_redis(work)
        stack.callback(redis.stop)
    outbox = work / "outbox"
    outbox.mkdir()
    beat_interval = 3
    (work / "drill_settings.py").write_text(
        SETTINGS.format(
            payment_timeout=args.payment_timeout,
            beat_interval=beat_interval,
            visibility_timeout=10,
        )
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "EMAIL_", "CELERY_")) and k not in ("SECRET_KEY",)
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "drill_settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DRILL_OUTBOX": str(outbox),
            "DUMMY_GATEWAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
            # The clients stand for many shoppers: each sends its own address, as a load
            # balancer in front of the site would (throttles count per address).
            "DJANGO_NUM_PROXIES": "1",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(work), str(EXAMPLE), str(ROOT / "src")]),
        }
    )
    site = Site(work, env, args.web_workers)
    stack.callback(site.stop)
    log("Migrating and seeding the example site")
    site.manage("migrate", "--noinput")
    site.manage("seed_demo")
    # Started together, waited for in turn: they boot in parallel.
    site.start_web()
    site.start_worker(wait=False)
    site.start_beat()
    site.web_ready()
    site.worker_ready()
    site.beat_ready()

    stats = Stats()
    shop = set_up_shop(site, stats, args)
    django_setup(env, work)
    from django.db import connection

    initial = stock_snapshot()
    connection.close()

    shop.webhooks.thread.start()
    shop.deadline = time.monotonic() + args.duration
    log(f"Load: {args.clients} clients for {args.duration:.0f} s")
    threads = [
        threading.Thread(target=client, args=(shop, n, args.seed), name=f"client-{n}", daemon=True)
        for n in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    kills = []
    if args.kill_worker:
        kills.append((0.4, "worker"))
    if args.kill_web:
        kills.append((0.6, "web"))
    load_started = time.monotonic()
    for at, what in kills:
        time.sleep(max(0.0, load_started + at * args.duration - time.monotonic()))
        if what == "worker":
            assert site.worker is not None
            log(f"Killing the Celery worker (SIGKILL, pid {site.worker.popen.pid})")
            site.worker.kill()
            stats.count("Celery workers killed")
            site.start_worker()
        else:
            assert site.web is not None
            victims = children(site.web.popen.pid)
            if victims:
                victim = random.Random(args.seed).choice(victims)
                log(f"Killing a gunicorn worker (SIGKILL, pid {victim})")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                stats.count("gunicorn workers killed")
    for thread in threads:
        thread.join(timeout=max(1.0, shop.deadline - time.monotonic()) + 120)
    log("Load over; delivering the last webhooks")
    shop.webhooks.drain(timeout=args.payment_timeout + 30)
    log("Stopping beat; waiting for Celery to drain")
    assert site.beat is not None
    site.beat.stop()
    drained = drain(redis_url, timeout=90)
    calls = 0
    if args.kill_web:
        calls = send_open_calls()
        if calls:  # the e-mails the refunds lead to
            drained += drain(redis_url, timeout=90)
    late = 0
    if args.kill_web and queue_depth(redis_url) == (0, 0):
        late = send_unqueued_emails()
    celery = check_drained(redis_url)
    site.stop()
    checks = [
        check_stock(initial),
        check_ledger(late_calls=calls),
        check_emails(
            outbox,
            may_be_stuck=4 if args.kill_worker else 0,
            killed_web=args.kill_web,
            late=late,
        ),
        check_server_errors(stats, work, killed_web=args.kill_web),
        celery,
    ]
    connection.close()
    text = report(args, stats, checks, time.monotonic() - started, drained)
    print(text, flush=True)
    (work / "report.json").write_text(
        json.dumps(
            {
                "checks": [c.__dict__ for c in checks],
                "events": dict(stats.events),
                "requests": sum(stats.calls.values()),
            },
            indent=2,
        )
    )
    return 0 if all(c.ok for c in checks) else 1


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    work = Path(tempfile.mkdtemp(prefix="ek-drill-"))
    try:
        with contextlib.ExitStack() as stack:
            return run(args, work, stack)
    except DrillError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; everything stopped.", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"Kept the drill's files in {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
