"""Measure the CPU time of one product list request in-process, and where it goes.

Run from the repository root (same settings and throwaway database as ``query_counts.py``)::

    PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings python bench/profile_product_list.py
    ... python bench/profile_product_list.py --profile 100   # cProfile of page_size=100

The catalog is the one of ``query_counts.py``: 60 groups of 3 variants and 60 standalone products.
For each page size it reports the median and the minimum CPU time (``time.process_time``, so other
processes on the machine count little) over ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

from query_counts import API, build_catalog, client_for, throwaway_database


def cpu_ms(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    for _ in range(5):
        call()
    samples = []
    for _ in range(repeat):
        began = time.process_time()
        response = call()
        samples.append((time.process_time() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}")
    return statistics.median(samples), min(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="measured requests per row")
    parser.add_argument("--profile", type=int, metavar="PAGE_SIZE", help="cProfile one size")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 1000:
        parser.error("--repeat must be between 1 and 1000")
    client = client_for()
    rows = []
    with throwaway_database() as name:
        build_catalog()
        for page_size in (1, 20, 100):

            def call(p: int = page_size) -> Any:
                return client.get(f"{API}/products/", {"page_size": p})

            median, low = cpu_ms(call, args.repeat)
            rows.append((page_size, median, low))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                client.get(f"{API}/products/", {"page_size": args.profile})
            profiler.disable()
    print(f"Database: {name}; CPU of this process per request (includes SQLite when used).\n")
    print("| page_size | CPU ms median | CPU ms min |")
    print("|---:|---:|---:|")
    for page_size, median, low in rows:
        print(f"| {page_size} | {median:.1f} | {low:.1f} |")
    if args.profile:
        print(f"\ncProfile of 20 requests with page_size={args.profile}, by cumulative time:\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(
            r"ecommerce_kit|rest_framework/serializers|rest_framework/fields|db/models/query", 25
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
