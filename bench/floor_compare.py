"""Measure the kit's endpoints against the floor (bare DRF views, ``bench/floor/``) side by side.

Run from the repository root::

    python bench/floor_compare.py                  # throwaway PostgreSQL and Redis
    python bench/floor_compare.py --no-broker      # no Redis: e-mails sent in the request
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ek_bench_floor python bench/floor_compare.py

Without ``DATABASE_URL`` it starts a throwaway PostgreSQL cluster the way ``scripts/run_tests.py``
does (``initdb`` in a temporary directory, a free loopback port) and deletes it at the end. With
``DATABASE_URL`` (PostgreSQL on a loopback address only) it drops and recreates that database:
give it one of its own.

The example site is measured **as deployed** (docs/deployment.md): by default the script starts a
throwaway ``redis-server`` (no persistence, 127.0.0.1, a free port, ``scripts/shop_drill.py``'s
``start_redis``) and gives gunicorn its ``REDIS_URL``, so the site's cache is Redis and the kit's
Celery tasks (the order e-mails) are queued on it by the web process. **No Celery worker runs
during the measurement**: the e-mails are rendered and sent elsewhere in a deployment, and here
they stay queued; the queue is emptied (``FLUSHDB``) and Redis stopped at the end. The Redis
process's CPU is measured and counted with the server's. ``--no-broker`` measures the laptop
setup instead (no ``REDIS_URL``: local-memory cache, Celery tasks run eagerly, so every kit
checkout renders and sends its two order e-mails, the buyer's confirmation and the store's
"fulfilment due", inside the request, to a backend that drops them).

What it does:

1. ``migrate`` and ``seed_demo`` (the demo catalog), then gives the products used by the write
   scenarios ample stock and creates the buyers (each with a JWT access token).
2. Serves the example site with ``bench.floor.settings`` (the site's settings, throttles off, the
   floor under ``/floor/``) with gunicorn on 127.0.0.1, ``--workers`` sync workers.
3. For ``--rounds`` rounds, for each scenario, measures the kit then the floor (the other way
   round on even rounds): ``--concurrency`` client threads, each its own buyer, repeat the
   scenario's operation for ``--duration`` seconds after a warm-up. The scenarios:

   - *product list*: ``GET products/`` (a page of 20 with prices and nested variants), pages 1-5;
   - *product detail*: ``GET products/{id}/``, 100 groups and standalone products in turn;
   - *cart add*: ``POST cart/items/`` of one unit, five products in turn (the carts are emptied
     before each measurement);
   - *cart view*: ``GET cart/`` of a cart of three lines;
   - *checkout*: ``POST cart/items/`` of one unit, then ``POST checkout/`` paid with the dummy
     gateway (captured); one operation is both requests.

4. Reports, per scenario and side, the server CPU per operation (gunicorn workers plus this
   database's PostgreSQL backends plus Redis, sampled from ``/proc`` as ``bench/http_load.py``
   does; each gunicorn worker keeps its database connection for the whole run, so that no
   backend exits with uncounted CPU), the operations per second, and the ratios kit / floor.
   Every answer must be 200 or 201:
   any other is counted and makes the script exit 1.
5. Checks the kit's order e-mails after the checkouts: with the broker, every one recorded is
   still ``pending`` and one Celery message per e-mail waits on Redis (queued, not sent); without
   it, every one was sent. Anything else makes the script exit 1.

Only loopback addresses are used. Every loop is bounded in time and count; gunicorn, Redis and
the throwaway cluster are stopped at the end, on errors and on Ctrl-C. Not part of the test suite or
CI.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT / "bench"), str(ROOT / "scripts")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import http_load as hl  # noqa: E402  (bench/http_load.py: server, HTTP and CPU helpers)

MAX_ROUNDS = 5
MAX_DURATION = 60.0
MAX_OPS = 100_000
SIDES = {"kit": "/api/v1/", "floor": "/floor/"}
SCENARIOS = ("product list", "product detail", "cart add", "cart view", "checkout")
#: Products the cart and checkout scenarios buy; each gets this much stock.
STOCK = 10_000_000


# --- the broker ---------------------------------------------------------------------------------


@dataclass
class Broker:
    url: str
    pid: int

    def queued(self) -> int:
        """Messages waiting in Celery's default queue."""
        import redis

        return int(redis.Redis.from_url(self.url, socket_timeout=5).llen("celery"))


@contextlib.contextmanager
def broker(enabled: bool) -> Iterator[Broker | None]:
    """A throwaway ``redis-server`` (emptied and stopped at the end), or ``None``."""
    if not enabled:
        yield None
        return
    from shop_drill import DrillError, start_redis

    with tempfile.TemporaryDirectory(prefix="ek-floor-redis-") as directory:
        try:
            service, url = start_redis(Path(directory))
        except DrillError as exc:
            raise SystemExit(f"{exc}; or measure without it: --no-broker") from exc
        try:
            yield Broker(url=url, pid=service.popen.pid)
        finally:
            import redis

            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(url, socket_timeout=5).flushdb()
            service.stop()


@dataclass
class Data:
    list_paths: list[str]
    detail_ids: list[int]
    cart_products: list[int]
    checkout_product: int
    #: side -> scenario -> one user id per client thread
    users: dict[str, dict[str, list[int]]] = field(default_factory=dict)


def prepare_data(concurrency: int) -> Data:
    """Stock, buyers and carts, written with the ORM of the example project."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from ecommerce_kit.cart import services as cart_services
    from ecommerce_kit.catalog import selectors
    from ecommerce_kit.catalog.models import Product

    listed = selectors.list_catalog_products().order_by("-created_at", "-id")
    detail_ids = [p.pk for p in listed[:100]]
    purchasable = [
        p.pk
        for p in selectors.with_is_group(selectors.list_available_products()).filter(
            is_group=False, price_currency="AOA"
        )[:6]
    ]
    if len(purchasable) < 6:
        raise SystemExit("The demo catalog has fewer than 6 purchasable products.")
    Product.objects.filter(pk__in=purchasable).update(stock_quantity=STOCK)
    data = Data(
        list_paths=[f"products/?page={n}" for n in range(1, 6)],
        detail_ids=detail_ids,
        cart_products=purchasable[:5],
        checkout_product=purchasable[5],
    )
    model = get_user_model()
    password = make_password("bench-only")
    run = time.strftime("%H%M%S")
    for side in SIDES:
        data.users[side] = {}
        for scenario in ("cart add", "cart view", "checkout"):
            users = model.objects.bulk_create(
                [
                    model(
                        username=f"floor-{run}-{side}-{scenario.replace(' ', '-')}-{n}",
                        email=f"floor-{run}-{side}-{scenario.replace(' ', '-')}-{n}@bench.invalid",
                        password=password,
                    )
                    for n in range(concurrency)
                ]
            )
            data.users[side][scenario] = [u.pk for u in users]
            if scenario == "cart view":
                for user in users:
                    cart = cart_services.get_or_create_user_cart(user=user)
                    for product_id in purchasable[:3]:
                        cart_services.add_item(cart=cart, product_id=product_id, quantity=2)
    return data


def empty_carts(user_ids: list[int]) -> None:
    from ecommerce_kit.cart.models import Cart, CartItem

    CartItem.objects.filter(cart__user_id__in=user_ids).delete()
    Cart.objects.filter(user_id__in=user_ids).update(currency="")


def tokens(user_ids: list[int]) -> list[str]:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    return [str(AccessToken.for_user(users[pk])) for pk in user_ids]


# --- load ----------------------------------------------------------------------------------------

#: One operation: given the thread's number and the operation's sequence number, send its
#: requests and return their statuses.
Operation = Callable[[int, int], list[int]]


@dataclass
class Measurement:
    scenario: str
    side: str
    round: int
    ops: int
    elapsed: float
    server_ms: float  # gunicorn + PostgreSQL + Redis CPU per operation
    gunicorn_ms: float
    postgres_ms: float
    redis_ms: float
    other_share: float
    statuses: Counter[int]
    errors: Counter[str]

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.elapsed if self.elapsed else 0.0

    @property
    def failures(self) -> int:
        bad = sum(n for status, n in self.statuses.items() if status not in (200, 201))
        return bad + sum(self.errors.values())


def run_ops(
    operation: Operation,
    *,
    concurrency: int,
    duration: float,
    meter: hl.CpuMeter | None,
) -> tuple[int, float, Counter[int], Counter[str], hl.CpuUse | None]:
    start = meter.sample() if meter else None
    hl.close_db()
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    done = 0
    began = time.perf_counter()
    stop_at = began + min(duration, MAX_DURATION)

    def worker(thread: int) -> None:
        nonlocal done
        sequence = 0
        while time.perf_counter() < stop_at:
            with lock:
                if done >= MAX_OPS:
                    return
            try:
                got = operation(thread, sequence)
            except OSError as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            finally:
                sequence += 1
            with lock:
                done += 1
                statuses.update(got)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + hl.REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - began
    cpu = meter.between(start) if meter and start else None
    hl.close_db()
    return done, elapsed, statuses, errors, cpu


def operation(scenario: str, side: str, port: int, data: Data, bearer: list[str]) -> Operation:
    prefix = SIDES[side]

    def call(method: str, path: str, thread: int, body: Any = None) -> int:
        headers = {"Authorization": f"Bearer {bearer[thread]}"} if bearer else None
        status, _headers, raw = hl.request(port, method, prefix + path, body=body, headers=headers)
        if status not in (200, 201):
            print(f"  {side} {method} {path}: {status} {raw[:200]!r}", file=sys.stderr)
        return status

    if scenario == "product list":
        return lambda t, n: [call("GET", data.list_paths[(t + n) % len(data.list_paths)], t)]
    if scenario == "product detail":
        ids = data.detail_ids
        return lambda t, n: [call("GET", f"products/{ids[(t * 13 + n) % len(ids)]}/", t)]
    if scenario == "cart add":
        products = data.cart_products
        return lambda t, n: [
            call("POST", "cart/items/", t, {"product": products[n % len(products)]})
        ]
    if scenario == "cart view":
        return lambda t, n: [call("GET", "cart/", t)]
    if scenario == "checkout":
        return lambda t, n: [
            call("POST", "cart/items/", t, {"product": data.checkout_product}),
            call("POST", "checkout/", t, hl.CHECKOUT_BODY),
        ]
    raise ValueError(scenario)


def measure(
    scenario: str,
    side: str,
    round_number: int,
    *,
    port: int,
    data: Data,
    args: argparse.Namespace,
    meter: hl.CpuMeter,
) -> Measurement:
    users = data.users[side].get(scenario, [])
    if scenario in ("cart add", "checkout"):
        empty_carts(users)
    bearer = tokens(users) if users else []
    op = operation(scenario, side, port, data, bearer)
    if args.warmup > 0:
        run_ops(op, concurrency=args.concurrency, duration=args.warmup, meter=None)
    if scenario == "cart add":
        empty_carts(users)
    ops, elapsed, statuses, errors, cpu = run_ops(
        op, concurrency=args.concurrency, duration=args.duration, meter=meter
    )
    assert cpu is not None
    per = 1000 / ops if ops else float("nan")
    return Measurement(
        scenario=scenario,
        side=side,
        round=round_number,
        ops=ops,
        elapsed=elapsed,
        server_ms=(cpu.server + cpu.database + cpu.broker) * per,
        gunicorn_ms=cpu.server * per,
        postgres_ms=cpu.database * per,
        redis_ms=cpu.broker * per,
        other_share=cpu.other_share,
        statuses=statuses,
        errors=errors,
    )


def check_order_emails(user_ids: list[int], queue: Broker | None) -> tuple[bool, str]:
    """Whether the kit's checkouts left their order e-mails as the setup should: queued on the
    broker and not sent (``pending``, one Celery message each), or, without a broker, sent."""
    from ecommerce_kit.orders.models import Order, OrderEmail

    orders = Order.objects.filter(buyer_id__in=user_ids).count()
    states = Counter(
        OrderEmail.objects.filter(order__buyer_id__in=user_ids).values_list("state", flat=True)
    )
    recorded = sum(states.values())
    hl.close_db()
    found = ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none"
    detail = f"{orders} kit orders, {recorded} order e-mails recorded ({found})"
    if queue is None:
        ok = recorded > 0 and states["sent"] == recorded
        return ok, detail + "; no broker: each sent in its checkout request"
    waiting = queue.queued()
    ok = recorded > 0 and states["pending"] == recorded and waiting == recorded
    return ok, detail + f"; {waiting} Celery messages queued on Redis, none run (no worker)"


# --- report --------------------------------------------------------------------------------------


def machine(args_line: str) -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone() or ("?",)
    hl.close_db()
    return hl.machine_facts(args_line, [("PostgreSQL", str(version))])


def summarize(results: list[Measurement]) -> str:
    lines = [
        "| scenario | floor CPU ms/op | kit CPU ms/op | kit / floor CPU | per-round ratios "
        "| floor ops/s | kit ops/s | kit / floor ops/s | kit CPU: gunicorn + PostgreSQL + Redis |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]

    def cpu(rows: list[Measurement]) -> float:
        ops = sum(r.ops for r in rows)
        return sum(r.server_ms * r.ops for r in rows) / ops if ops else float("nan")

    def rate(rows: list[Measurement]) -> float:
        return sum(r.ops for r in rows) / sum(r.elapsed for r in rows)

    for scenario in SCENARIOS:
        kit = [r for r in results if r.scenario == scenario and r.side == "kit"]
        floor = [r for r in results if r.scenario == scenario and r.side == "floor"]
        if not kit or not floor:
            continue
        per_round = [k.server_ms / f.server_ms for k, f in zip(kit, floor, strict=True)]
        kit_ops = sum(r.ops for r in kit)
        gunicorn = sum(r.gunicorn_ms * r.ops for r in kit) / kit_ops
        postgres = sum(r.postgres_ms * r.ops for r in kit) / kit_ops
        redis = sum(r.redis_ms * r.ops for r in kit) / kit_ops
        lines.append(
            f"| {scenario} | {cpu(floor):.1f} | {cpu(kit):.1f} "
            f"| {cpu(kit) / cpu(floor):.2f}× | {', '.join(f'{x:.2f}' for x in per_round)} "
            f"| {rate(floor):.0f} | {rate(kit):.0f} | {rate(kit) / rate(floor):.2f} "
            f"| {gunicorn:.1f} + {postgres:.1f} + {redis:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help=f"1..{MAX_ROUNDS} (default 3)")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.5, help="unmeasured seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help="comma-separated scenarios (default: all)"
    )
    parser.add_argument(
        "--no-broker",
        action="store_true",
        help="no Redis: the site's tasks (the order e-mails) run in the request",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := set(chosen) - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--rounds must be 1..{MAX_ROUNDS}")
    if not 0 < args.duration <= MAX_DURATION or not 0 <= args.warmup <= MAX_DURATION:
        parser.error(f"--duration and --warmup must be at most {MAX_DURATION:g} s")
    if not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 16:
        parser.error("--concurrency must be 1..64 and --workers 1..16")
    args_line = "python bench/floor_compare.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )

    results: list[Measurement] = []
    emails: tuple[bool, str] | None = None
    with hl.postgres_url("ek_bench_floor", reset=True) as url, broker(not args.no_broker) as queue:
        env = hl.server_env(url)
        env["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), str(hl.EXAMPLE)])
        hl.manage(env, "migrate", "--noinput", "-v", "0")
        hl.manage(env, "seed_demo")
        hl.setup_django(env)
        data = prepare_data(args.concurrency)
        info = machine(args_line)
        hl.close_db()
        port = hl.free_port()
        if queue is not None:  # only the server: migrate and seed_demo queue nothing anyway
            env["REDIS_URL"] = queue.url
        # Each worker keeps one connection for the whole run: a backend that closed during a
        # round (the example site's 60 s CONN_MAX_AGE) would take its CPU with it, uncounted.
        env["DB_CONN_MAX_AGE"] = "3600"
        load_before = os.getloadavg()
        with hl.gunicorn(env, workers=args.workers, threads=1, port=port) as (log, master):
            meter = hl.CpuMeter(master, broker=(queue.pid,) if queue else ())
            for side in SIDES:  # every path answers before anything is measured
                status, _headers, raw = hl.request(port, "GET", SIDES[side] + data.list_paths[0])
                if status != 200:
                    raise SystemExit(f"{side} product list answered {status}: {raw[:300]!r}")
            for round_number in range(1, args.rounds + 1):
                for scenario in chosen:
                    order = list(SIDES) if round_number % 2 else list(reversed(SIDES))
                    for side in order:
                        result = measure(
                            scenario,
                            side,
                            round_number,
                            port=port,
                            data=data,
                            args=args,
                            meter=meter,
                        )
                        results.append(result)
                        print(
                            f"round {round_number} {scenario:<15} {side:<5} {result.ops:6d} ops "
                            f"{result.ops_per_s:7.1f}/s {result.server_ms:6.2f} ms/op "
                            f"(gunicorn {result.gunicorn_ms:.2f} + PostgreSQL "
                            f"{result.postgres_ms:.2f} + Redis {result.redis_ms:.2f}) "
                            f"other load {result.other_share:.0%} "
                            f"failures {result.failures}",
                            flush=True,
                        )
        load_after = os.getloadavg()
        if "checkout" in chosen:
            emails = check_order_emails(data.users["kit"]["checkout"], queue)

    print("\n| | |\n|---|---|")
    for key, value in info:
        print(f"| {key} | {value} |")
    print(
        f"| setup | gunicorn {args.workers} sync workers, {args.concurrency} clients, "
        f"{args.rounds} rounds × {args.duration:g} s per scenario and side "
        f"(after {args.warmup:g} s warm-up), throttles off |"
    )
    print(
        "| broker | "
        + (
            "none (`--no-broker`): local-memory cache, Celery tasks run in the request"
            if args.no_broker
            else "a throwaway redis-server: the site's cache and Celery broker; no worker runs"
        )
        + " |"
    )
    if emails is not None:
        print(f"| kit order e-mails | {emails[1]} |")
    print(
        "| load average before / after | "
        f"{' '.join(f'{v:.2f}' for v in load_before)} / "
        f"{' '.join(f'{v:.2f}' for v in load_after)} |"
    )
    print(
        "| other load (median share of both cores used by other processes) | "
        f"{statistics.median(r.other_share for r in results):.0%} |"
    )
    print()
    print(summarize(results))
    failures = sum(r.failures for r in results)
    if failures:
        print(f"\n{failures} answers were neither 200 nor 201 (see stderr above).")
    if emails is not None and not emails[0]:
        print("\nThe order e-mails were not handled as this setup should (see above).")
    return 1 if failures or (emails is not None and not emails[0]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
