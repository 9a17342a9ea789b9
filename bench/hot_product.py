"""Many buyers check out the same product at once: orders per second, and the physical limit.

Run from the repository root::

    python bench/hot_product.py                          # a throwaway PostgreSQL cluster
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ek_hot python bench/hot_product.py

Without ``DATABASE_URL`` it starts a throwaway cluster the way ``scripts/run_tests.py`` does
(``initdb`` in a temporary directory, a free loopback port) and deletes it at the end. With
``DATABASE_URL`` (PostgreSQL on a loopback address only) it uses that database, created when
missing: give it one of its own.

What it does, in order (the helpers of ``http_load.py``):

1. ``migrate`` and ``seed_demo``, then one product with ample stock (``--stock``, by default ten
   times what the rounds buy).
2. Starts the example project under ``gunicorn --workers 4`` (sync workers) on 127.0.0.1.
3. A warm-up round (8 buyers, not measured), then ``--rounds`` rounds: ``--buyers`` users, each with
   1 unit of the product in its cart and a JWT, all ``POST /api/v1/checkout/`` at once (released
   by a barrier). Per round: orders per second (successes / wall time from release to the last
   answer), latency, the CPU the gunicorn workers and PostgreSQL spent per checkout.
4. Checks: every answer is 201, no deadlock (``pg_stat_database.deadlocks`` of the database does
   not move), one order line per success, and the stock is exact (initial − orders).
5. The physical limit on the same database: ``--update-threads`` psycopg connections (autocommit)
   run the conditional stock update of checkout, ``UPDATE … SET stock_quantity = stock_quantity
   - 1 WHERE id = %s AND stock_quantity >= 1``, on one row for ``--update-seconds``: updates per
   second, and the row's stock checked against the updates counted.

Every loop is bounded (rounds ≤ 10, buyers ≤ 500, update run ≤ 30 s, 60 s socket timeouts) and
gunicorn is stopped at the end, on errors, on Ctrl-C and on SIGTERM. Exits 1 when a check fails.
Not part of the test suite or CI.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import http_load as load

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from run_tests import server_version  # noqa: E402

MAX_ROUNDS = 10
MAX_UPDATE_SECONDS = 30.0
MAX_UPDATE_THREADS = 200
WARMUP_BUYERS = 8


def deadlocks() -> int:
    """Deadlocks PostgreSQL has detected in this database since its statistics began."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def stock_of(product_id: int) -> int:
    from ecommerce_kit.catalog.models import Product

    return int(Product.objects.values_list("stock_quantity", flat=True).get(pk=product_id))


def checkout_round(
    port: int, product_id: int, buyers: int, run: str, meter: load.CpuMeter
) -> dict[str, Any]:
    """``buyers`` checkouts of one unit of the product, released together."""
    people = load.make_buyers(buyers, product_id, run)
    load.close_db()
    start = meter.sample()
    result = load.race([load.checkout_call(port, buyer.token) for buyer in people])
    cpu = meter.between(start)
    ok = result.statuses.get(201, 0)
    latencies = sorted(result.latencies)
    return {
        "ok": ok,
        "statuses": dict(result.statuses),
        "codes": dict(result.codes),
        "errors": dict(result.errors),
        "duration": result.duration,
        "orders_per_s": ok / result.duration if result.duration else 0.0,
        "p50": load.percentile(latencies, 50) * 1000,
        "p95": load.percentile(latencies, 95) * 1000,
        "max": (latencies[-1] if latencies else float("nan")) * 1000,
        "cpu": load.cpu_columns(cpu, sum(result.statuses.values())),
    }


def update_rate(
    config: dict[str, Any], product_id: int, *, threads: int, seconds: float
) -> dict[str, Any]:
    """The conditional stock update of checkout on one row, from ``threads`` connections."""
    import psycopg

    from ecommerce_kit.catalog.models import Product

    table = Product._meta.db_table
    statement = (
        f'UPDATE "{table}" SET stock_quantity = stock_quantity - 1 '  # noqa: S608 - our table
        "WHERE id = %s AND stock_quantity >= 1"
    )
    params = {
        "host": config.get("HOST") or "localhost",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": config["NAME"],
        "autocommit": True,
        "connect_timeout": 30,
    }
    before = stock_of(product_id)
    counts: list[int] = [0] * threads
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1, timeout=60)
    deadline: list[float] = [0.0]

    def worker(index: int) -> None:
        try:
            with psycopg.connect(**params) as conn:
                barrier.wait()
                done = 0
                while time.perf_counter() < deadline[0]:
                    done += conn.execute(statement, [product_id]).rowcount
                counts[index] = done
        except Exception as exc:
            with lock:
                failures[type(exc).__name__] += 1
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    deadline[0] = time.perf_counter() + 3600  # set for real once every connection is open
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    deadline[0] = began + seconds
    for thread in pool:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - began
    updates = sum(counts)
    after = stock_of(product_id)
    return {
        "threads": threads,
        "seconds": elapsed,
        "updates": updates,
        "per_s": updates / elapsed if elapsed else 0.0,
        "failures": dict(failures),
        "exact": before - after == updates,
    }


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--buyers", type=int, default=50, help="concurrent checkouts per round")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    parser.add_argument("--stock", type=int, default=0, help="default: 10 × what is bought")
    parser.add_argument("--update-threads", type=int, default=50, help="connections (default 50)")
    parser.add_argument("--update-seconds", type=float, default=5.0, help="seconds (default 5)")
    args = parser.parse_args(argv)
    if not 1 <= args.buyers <= load.MAX_BUYERS:
        parser.error(f"--buyers must be between 1 and {load.MAX_BUYERS}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--rounds must be between 1 and {MAX_ROUNDS}")
    if not 1 <= args.workers <= 16:
        parser.error("--workers must be between 1 and 16")
    if not 1 <= args.update_threads <= MAX_UPDATE_THREADS:
        parser.error(f"--update-threads must be between 1 and {MAX_UPDATE_THREADS}")
    if not 0 < args.update_seconds <= MAX_UPDATE_SECONDS:
        parser.error(f"--update-seconds must be above 0 and at most {MAX_UPDATE_SECONDS:g}")
    bought = WARMUP_BUYERS + args.buyers * args.rounds
    stock = args.stock or 10 * bought
    if stock < bought:
        parser.error(f"--stock must be at least {bought} (what the rounds buy)")

    with load.postgres_url("ek_bench_hot") as url:
        config = load.ensure_loopback_database(url)
        env = load.server_env(url)
        load.manage(env, "migrate", "--noinput", "-v", "0")
        load.manage(env, "seed_demo")
        load.setup_django(env)
        from ecommerce_kit.orders.models import OrderItem

        run = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:6]
        product_id = load.make_product(stock, f"{run}-hot")
        port = load.free_port()
        deadlocks_before = deadlocks()
        load.close_db()
        rounds = []
        with load.gunicorn(env, workers=args.workers, threads=1, port=port) as (log, master):
            meter = load.CpuMeter(master)
            warmup = checkout_round(port, product_id, WARMUP_BUYERS, f"{run}-warm", meter)
            for number in range(args.rounds):
                rounds.append(
                    checkout_round(port, product_id, args.buyers, f"{run}-{number}", meter)
                )
        successes = warmup["ok"] + sum(r["ok"] for r in rounds)
        stock_left = stock_of(product_id)
        lines = OrderItem.objects.filter(product_id=product_id).count()
        deadlocks_seen = deadlocks() - deadlocks_before
        limit_product = load.make_product(1_000_000_000, f"{run}-limit")
        load.close_db()
        limit = update_rate(
            config, limit_product, threads=args.update_threads, seconds=args.update_seconds
        )
        version = server_version(url)
        load.close_db()

    all_created = all(r["statuses"] == {201: args.buyers} and not r["errors"] for r in rounds)
    warm_ok = warmup["statuses"] == {201: WARMUP_BUYERS} and not warmup["errors"]
    exact = stock_left == stock - successes and lines == successes
    passed = all_created and warm_ok and exact and deadlocks_seen == 0 and limit["exact"]
    passed = passed and not limit["failures"]

    print(
        f"\n## Hot product: {args.buyers} concurrent checkouts of one product, "
        f"gunicorn --workers {args.workers} (sync) on 127.0.0.1, PostgreSQL {version}".rstrip()
    )
    print(
        f"\n{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, load average before the update run "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}.\n"
    )
    print(
        "| round | 201 | other answers | wall s | orders/s | p50 ms | p95 ms | max ms "
        f"| {load.CPU_HEADER} |"
    )
    print(f"|---:|---:|---|---:|---:|---:|---:|---:|{load.CPU_ALIGN}|")
    for number, result in enumerate(rounds, start=1):
        other = {
            **{s: n for s, n in result["statuses"].items() if s != 201},
            **result["errors"],
        }
        print(
            f"| {number} | {result['ok']} | {other or '—'} | {result['duration']:.2f} "
            f"| {result['orders_per_s']:.1f} | {result['p50']:.0f} | {result['p95']:.0f} "
            f"| {result['max']:.0f} | {result['cpu']} |"
        )
    rates = sorted(r["orders_per_s"] for r in rounds)
    median_rate = rates[len(rates) // 2]
    print(
        f"\nStock: {stock} at the start, {successes} orders (warm-up included), {stock_left} left "
        f"({'exact' if exact else 'NOT EXACT'}); {lines} order lines; deadlocks detected: "
        f"{deadlocks_seen}; answers other than 201: "
        f"{'none' if all_created and warm_ok else 'SOME'}."
    )
    print(
        f"\nPhysical limit: {limit['threads']} connections ran the conditional stock update on "
        f"one row for {limit['seconds']:.1f} s: {limit['updates']} updates, "
        f"**{limit['per_s']:.0f} updates/s** (stock {'exact' if limit['exact'] else 'NOT EXACT'}"
        f"{', failures: ' + str(limit['failures']) if limit['failures'] else ''})."
    )
    print(
        f"\nMedian round: **{median_rate:.1f} orders/s**, "
        f"{median_rate / limit['per_s']:.1%} of the single-row update rate.\n"
    )
    if not passed:
        print(f"A check failed; gunicorn's log: {log}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
