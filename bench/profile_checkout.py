"""Measure the CPU time of one checkout in-process (dummy gateway, captured), and where it goes.

Run from the repository root (same settings and throwaway database as ``query_counts.py``)::

    PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings python bench/profile_checkout.py
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/ek_bench_cpu \\
        PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings python bench/profile_checkout.py
    ... python bench/profile_checkout.py --profile      # and a cProfile of the checkouts

Each measured request is ``POST checkout/`` of a cart of ``--lines`` lines (1 and 5 by default,
over two stores), filled beforehand through the cart service (not measured), through Django's test
client with ``force_authenticate``. The database runs in autocommit, as under a server, so what
runs after the commit (the order e-mails: recorded, then sent in-process as without a broker, to
the SMTP server of the settings or to none) is measured with the request. It reports the median and
the minimum CPU time of this process (``time.process_time``) over ``--repeat`` checkouts, and the
statements per checkout, each size also with every order e-mail turned off (``EMAILS``), which
shows what the request costs without them. On PostgreSQL the server's own CPU is not counted; on
SQLite it is.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import statistics
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from query_counts import (
    API,
    CHECKOUT_BODY,
    TRANSACTION_CONTROL,
    client_for,
    fill_cart,
    products_for_lines,
    throwaway_database,
)

from ecommerce_kit.conf import kit_settings
from tests.factories import StoreFactory, UserFactory


def checkout_cpu(lines: int, repeat: int, profiler: cProfile.Profile | None) -> dict[str, Any]:
    """Check out ``repeat`` carts of ``lines`` lines (after 3 warm-ups); CPU ms and statements."""
    stores = [StoreFactory() for _ in range(2)]
    samples: list[float] = []
    statements: list[int] = []
    for attempt in range(repeat + 3):
        user = UserFactory()
        fill_cart(user, products_for_lines(lines, stores))
        client = client_for(user)
        connection.queries_log.clear()  # a full log (9000 queries) would capture nothing
        with CaptureQueriesContext(connection) as context:
            if profiler is not None and attempt >= 3:
                profiler.enable()
            began = time.process_time()
            response = client.post(f"{API}/checkout/", CHECKOUT_BODY, format="json")
            spent = time.process_time() - began
            if profiler is not None:
                profiler.disable()
        if response.status_code != 201:
            raise SystemExit(f"checkout: HTTP {response.status_code}: {response.data}")
        if attempt >= 3:
            samples.append(spent * 1000)
            statements.append(
                sum(
                    1
                    for query in context.captured_queries
                    if not TRANSACTION_CONTROL.match(query["sql"])
                )
            )
    return {
        "lines": lines,
        "median": statistics.median(samples),
        "min": min(samples),
        "statements": statistics.median(statements),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="measured checkouts per row")
    parser.add_argument("--lines", default="1,5", help="cart sizes, comma-separated (≤ 50)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of them")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 500:
        parser.error("--repeat must be between 1 and 500")
    sizes = [int(size) for size in args.lines.split(",")]
    if not all(1 <= size <= 50 for size in sizes):
        parser.error("--lines must be between 1 and 50")
    # The e-mails that cannot be sent stay pending: one warning each is noise here.
    logging.getLogger("ecommerce_kit.emails").setLevel(logging.ERROR)
    kit = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "bench"}}}
    quiet = {**kit, "EMAILS": dict.fromkeys(kit_settings.EMAILS, False)}
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    rows = []
    with throwaway_database() as name:
        for size in sizes:
            with override_settings(ECOMMERCE_KIT=kit):
                rows.append(("on", checkout_cpu(size, args.repeat, profiler)))
            with override_settings(ECOMMERCE_KIT=quiet):
                rows.append(("off", checkout_cpu(size, args.repeat, None)))
    print(f"Database: {name}; CPU of this process per checkout (includes SQLite when used).\n")
    print(
        "| lines | e-mails | CPU ms median | CPU ms min | statements (no BEGIN/COMMIT/SAVEPOINT) |"
    )
    print("|---:|---|---:|---:|---:|")
    for emails, row in rows:
        print(
            f"| {row['lines']} | {emails} | {row['median']:.1f} | {row['min']:.1f} "
            f"| {row['statements']:.0f} |"
        )
    if profiler is not None:
        print("\ncProfile (CPU time) of the measured checkouts, by cumulative time:\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
