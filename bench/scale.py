"""Latency of the product list, a filtered list and a search at 1,000, 10,000 and 100,000 products.

Run from the repository root::

    python bench/scale.py                       # a throwaway PostgreSQL cluster
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ek_bench python bench/scale.py

Without ``DATABASE_URL`` it starts a throwaway cluster as ``scripts/run_tests.py`` does and
deletes it at the end; with it (PostgreSQL only) it creates and drops ``test_<name>`` there. The
database is migrated, so it has every index the kit ships.

The catalog is seeded cumulatively (``--sizes``, default 1000,10000,100000 products, variants
included): bilingual names and descriptions as in ``bench/search_latency.py``, 20 stores, 10
categories, one product in ten a group of three variants. After each size, ``VACUUM ANALYZE``
(as autovacuum would), then each request below is sent ``--repeat`` times through Django's test
client after three warm-ups, and the median (p50) and 95th percentile of the whole request are
reported with the database time of its queries and the number of matches (``count``):

- the product list, default order (newest first), page 1 of 20;
- a filtered list: one category, a price range and ``ordering=price``;
- a search for a common word.

The product list counts its matches as the example site does: exactly up to 1,000, estimated
beyond (``--exact-count-up-to``; 0 counts exactly). The last table gives each request's p50 at
every size over its p50 at the smallest size: the target is at most 1.2 at 100,000.
``--explain`` prints the plan of every query at the largest size. Not part of the test suite
or CI.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src"), str(ROOT / "scripts"), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")

import search_latency as sl  # noqa: E402  (bench/search_latency.py: data, cluster, machine)

API = "/api/v1"
REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("product list (newest first)", {}),
    (
        "filtered: category + price range + ordering=price",
        {"category": "bench-3", "min_price": "20000", "max_price": "60000", "ordering": "price"},
    ),
    ("search: one common word", {"search": "sapatos"}),
]


def seed(target: int, rng: random.Random) -> float:
    """Add products (one in ten a group of three variants) until there are ``target``."""
    from moneyed import Money

    from ecommerce_kit.catalog.models import Category, Product, Store
    from ecommerce_kit.catalog.services import refresh_listing_prices
    from tests.factories import CategoryFactory, StoreFactory

    began = time.perf_counter()
    stores = list(Store.objects.all()) or [StoreFactory() for _ in range(20)]
    categories = list(Category.objects.all()) or [
        CategoryFactory(slug=f"bench-{n}") for n in range(10)
    ]
    n = Product.objects.count()
    while n < target:
        batch: list[Product] = []
        groups: list[tuple[Product, list[Product]]] = []
        while n < target and len(batch) + sum(len(v) for _g, v in groups) < 5000:
            name, description = sl.product_text(rng, n)
            product = Product(
                store=stores[n % len(stores)],
                category=categories[n % len(categories)],
                name=name,
                slug=f"bench-{n}",
                description=description,
                price=Money(Decimal(rng.randrange(100, 100_000)), "AOA"),
                stock_quantity=rng.randrange(0, 50),
            )
            n += 1
            if n % 10 == 0 and n + 3 <= target:
                variants = []
                for size in ("S", "M", "L"):
                    variants.append(
                        Product(
                            store=product.store,
                            category=product.category,
                            name=f"{name} {size}",
                            slug=f"bench-{n}-{size.lower()}",
                            description=description,
                            price=Money(Decimal(rng.randrange(100, 100_000)), "AOA"),
                            stock_quantity=rng.randrange(0, 50),
                            attributes={"size": size},
                        )
                    )
                    n += 1
                groups.append((product, variants))
            else:
                batch.append(product)
        Product.objects.bulk_create(batch + [g for g, _v in groups])
        for group, variants in groups:
            for variant in variants:
                variant.parent = group
        Product.objects.bulk_create([v for _g, vs in groups for v in vs])
        # bulk_create() bypasses Product.save(): the groups' listing prices come from the
        # variants just inserted (the standalone products' are their own price already).
        refresh_listing_prices(ids=[g.pk for g, _v in groups])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ecommerce_kit_catalog_product")
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def measure(size: int, repeat: int, explain: bool) -> list[dict[str, Any]]:
    from django.db import connection
    from rest_framework.test import APIClient

    client = APIClient()
    rows = []
    for label, params in REQUESTS:
        wall, sql, response, captured = sl.time_product_list(client, params, repeat)
        if explain:
            for query in captured:
                if query["sql"].startswith("EXPLAIN"):
                    continue  # the count's estimate: a plan already
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + query["sql"])
                    plan = "\n".join(f"      {line}" for (line,) in cursor.fetchall())
                print(f"\n  {size} products, {label}:\n    {query['sql'][:300]}\n{plan}")
        rows.append(
            {
                "size": size,
                "label": label,
                "params": params,
                "count": response.json()["count"],
                "queries": len(captured),
                "p50": statistics.median(wall),
                "p95": sl.percentile(wall, 0.95),
                "sql": statistics.median(sql),
            }
        )
        print(f"  {size:>7} {label:<52} p50 {rows[-1]['p50']:7.1f} ms", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per row")
    parser.add_argument("--explain", action="store_true", help="plans at the largest size")
    parser.add_argument(
        "--exact-count-up-to",
        type=int,
        default=1000,
        help="PRODUCT_COUNT_EXACT_UP_TO (default 1000, as the example site; 0: always exact)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if not 1 <= args.repeat <= 1000 or not sizes or not 20 <= sizes[0] <= sizes[-1] <= 1_000_000:
        parser.error("--repeat must be 1..1000 and sizes 20..1000000")

    with sl.http_load.postgres_url("ek_bench_search") as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        settings.ECOMMERCE_KIT = {
            **getattr(settings, "ECOMMERCE_KIT", {}),
            "PRODUCT_COUNT_EXACT_UP_TO": args.exact_count_up_to or None,
        }

        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            info = sl.machine()
            rng = random.Random(11)
            rows: list[dict[str, Any]] = []
            seeded: dict[int, float] = {}
            for size in sizes:
                seeded[size] = seed(size, rng)
                print(f"Seeded {size:,} products in {seeded[size]:.1f} s", flush=True)
                rows += measure(size, args.repeat, args.explain and size == sizes[-1])
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)

    print("\n| | |\n|---|---|")
    for key, value in info:
        print(f"| {key} | {value} |")
    for size, seconds in seeded.items():
        print(f"| seeding up to {size:,} products | {seconds:.1f} s |")
    print("\n| products | request | count | queries | p50 ms | p95 ms | SQL ms (p50) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['label']} | {row['count']:,} | {row['queries']} "
            f"| {row['p50']:.1f} | {row['p95']:.1f} | {row['sql']:.1f} |"
        )
    heads = " | ".join(f"p50 at {s:,} / at {sizes[0]:,}" for s in sizes[1:])
    print(f"\n| request | {heads} |")
    print("|---|" + "---:|" * (len(sizes) - 1))
    for label, _params in REQUESTS:
        by_size = {row["size"]: row["p50"] for row in rows if row["label"] == label}
        ratios = " | ".join(f"{by_size[s] / by_size[sizes[0]]:.2f}" for s in sizes[1:])
        print(f"| {label} | {ratios} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
