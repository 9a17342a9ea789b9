"""Time the product list's ``search`` on PostgreSQL at 1,000 and 100,000 products.

Run from the repository root::

    python bench/search_latency.py                       # a throwaway PostgreSQL cluster
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ek_bench python bench/search_latency.py

Without ``DATABASE_URL`` it starts a throwaway cluster the way ``scripts/run_tests.py`` does
(``initdb`` in a temporary directory, a free loopback port) and deletes it at the end. With
``DATABASE_URL`` (PostgreSQL only) it creates and drops ``test_<name>`` on that server. Either way
the database is migrated, so it has the search column, its GIN index and, when ``pg_trgm`` can be
created, the trigram index.

It seeds products with bilingual names and descriptions (``--sizes``, default 1000 and 100000,
seeded cumulatively), runs ``VACUUM ANALYZE`` (as autovacuum would), then for each search text
requests ``GET products/?search=...`` through Django's test client ``--repeat`` times after a
warm-up and reports the median and 95th percentile of the whole request, the database time of
its queries (``count``, page, variants), and the number of matches. The same texts are then
timed through the substring match the kit used before (``icontains``), for comparison.
``--explain`` prints the plan of each search's page query. At the largest size it also times
migration 0003 on the seeded table (rolled back to 0002 and applied again; ``--no-migration``
skips that).

Not part of the test suite or CI.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src"), str(ROOT / "scripts")):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")

import http_load  # noqa: E402  (bench/http_load.py: the throwaway PostgreSQL)

API = "/api/v1"

# --- data ---------------------------------------------------------------------------------------

NOUNS = [
    ("sapato", "sapatos"),
    ("camisola", "camisolas"),
    ("casaco", "casacos"),
    ("vestido", "vestidos"),
    ("mochila", "mochilas"),
    ("lanterna", "lanternas"),
    ("caneca", "canecas"),
    ("tapete", "tapetes"),
    ("relógio", "relógios"),
    ("bolsa", "bolsas"),
    ("shoe", "shoes"),
    ("shirt", "shirts"),
    ("jacket", "jackets"),
    ("dress", "dresses"),
    ("backpack", "backpacks"),
    ("lantern", "lanterns"),
    ("mug", "mugs"),
    ("rug", "rugs"),
    ("watch", "watches"),
    ("bag", "bags"),
]
ADJECTIVES = [
    "vermelho",
    "azul",
    "preto",
    "branco",
    "verde",
    "leve",
    "resistente",
    "clássico",
    "red",
    "blue",
    "black",
    "white",
    "green",
    "light",
    "running",
    "waterproof",
    "classic",
    "wireless",
    "handmade",
    "organic",
]
FILLER = (
    "feito em Angola com materiais de qualidade para o dia a dia na cidade e no campo "
    "made with care from quality materials for everyday use in town and country "
    "algodão couro lã madeira cerâmica metal cotton leather wool wood ceramic steel "
    "confortável durável macio quente fresco comfortable durable soft warm cool "
    "ideal para viagens presentes escritório escola ideal for travel gifts office school"
).split()


def brand(n: int) -> str:
    """A made-up brand name: 1000 of them, so each one names about 0.1% of the products."""
    syllables = ["ka", "zu", "mbe", "lo", "ri", "tan", "xi", "go", "ne", "fa"]
    return "".join(syllables[(n // 10**k) % 10] for k in range(3)).capitalize() + "x"


def product_text(rng: random.Random, n: int) -> tuple[str, str]:
    singular, plural = rng.choice(NOUNS)
    noun = plural if rng.random() < 0.3 else singular
    name = f"{noun.capitalize()} {rng.choice(ADJECTIVES)} {brand(rng.randrange(1000))}"
    words = [rng.choice(FILLER) for _ in range(rng.randint(12, 40))]
    for _ in range(rng.randint(0, 2)):  # descriptions mention other products now and then
        words.insert(rng.randrange(len(words)), rng.choice(rng.choice(NOUNS)))
    words.insert(rng.randrange(len(words)), rng.choice(ADJECTIVES))
    return name, " ".join(words).capitalize() + f". Ref. {n:06d}."


def seed(target: int, rng: random.Random) -> float:
    """Add products until there are ``target``; return the seconds it took."""
    from moneyed import Money

    from ecommerce_kit.catalog.models import Category, Product, Store
    from tests.factories import CategoryFactory, StoreFactory

    began = time.perf_counter()
    stores = list(Store.objects.all()) or [StoreFactory() for _ in range(20)]
    categories = list(Category.objects.all()) or [
        CategoryFactory(slug=f"bench-{n}") for n in range(10)
    ]
    have = Product.objects.count()
    batch: list[Product] = []
    for n in range(have, target):
        name, description = product_text(rng, n)
        batch.append(
            Product(
                store=stores[n % len(stores)],
                category=categories[n % len(categories)],
                name=name,
                slug=f"bench-{n}",
                description=description,
                price=Money(Decimal(rng.randrange(100, 100_000)), "AOA"),
                stock_quantity=rng.randrange(0, 50),
            )
        )
        if len(batch) == 5000:
            Product.objects.bulk_create(batch)
            batch = []
    if batch:
        Product.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum soon would after a bulk load: it also moves the GIN indexes' pending
        # entries into the index proper, without which the planner avoids the search index.
        cursor.execute("VACUUM ANALYZE ecommerce_kit_catalog_product")
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Row:
    size: int
    engine: str
    label: str
    params: dict[str, str]
    matches: int
    median_ms: float
    p95_ms: float
    sql_ms: float


SEARCHES: list[tuple[str, dict[str, str]]] = [
    ("no search (newest first)", {}),
    ("one common word, Portuguese plural", {"search": "sapatos"}),
    ("one common word, English inflection", {"search": "running"}),
    ("two words", {"search": "casaco vermelho"}),
    ("a brand (0.1% of names)", {"search": brand(7)}),
    ("a word only in descriptions", {"search": "cerâmica"}),
    ("a typo (mochila)", {"search": "mochilla"}),
    ("no match", {"search": "xylophone"}),
    ("common word + ordering=price", {"search": "sapatos", "ordering": "price"}),
    ("common word + category + max_price", {"search": "sapatos", "category": "bench-3"}),
]


def time_product_list(
    client: Any, query: dict[str, str], repeat: int
) -> tuple[list[float], list[float], Any, list[dict[str, Any]]]:
    """Request ``GET products/`` with ``query`` 3 times unmeasured, then ``repeat`` times.

    :returns: The wall time and the database time of each measured request (ms), the last
        response, and the statements of the last request.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def call() -> Any:
        response = client.get(f"{API}/products/", query)
        if response.status_code != 200:
            raise SystemExit(f"{query}: HTTP {response.status_code}: {response.content[:300]!r}")
        return response

    for _ in range(3):
        call()
    wall: list[float] = []
    sql: list[float] = []
    for _ in range(repeat):
        spent = [0.0]

        def timed(
            execute: Any,
            sql_text: str,
            params: Any,
            many: bool,
            context: Any,
            spent: list[float] = spent,
        ) -> Any:
            began = time.perf_counter()
            try:
                return execute(sql_text, params, many, context)
            finally:
                spent[0] += time.perf_counter() - began

        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
            began = time.perf_counter()
            response = call()
            wall.append((time.perf_counter() - began) * 1000)
        sql.append(spent[0] * 1000)
    return wall, sql, response, ctx.captured_queries


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(size: int, engine: str, repeat: int, explain: bool) -> list[Row]:
    from django.db import connection
    from rest_framework.test import APIClient

    client = APIClient()
    rows = []
    for label, params in SEARCHES:
        if engine != "full text" and not params.get("search"):
            continue
        query = {**params, "page_size": "20"}
        if "category" in query:
            query["max_price"] = "50000"

        wall, sql, response, captured = time_product_list(client, query, repeat)
        matches = response.json()["count"]
        # The page query; with no match Django skips it, and the count query is explained.
        page_sql = next(
            (q["sql"] for q in captured if " LIMIT " in q["sql"]),
            captured[0]["sql"],
        )
        if explain and params.get("search"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + page_sql)
                plan = "\n".join(f"      {line}" for (line,) in cursor.fetchall())
            print(f"\n  {size} products, {engine}, {label}:\n{plan}", flush=True)
        rows.append(
            Row(
                size=size,
                engine=engine,
                label=label,
                params=params,
                matches=matches,
                median_ms=statistics.median(wall),
                p95_ms=percentile(wall, 0.95),
                sql_ms=statistics.median(sql),
            )
        )
        print(f"  {size:>7} {engine:<10} {label:<40} {rows[-1].median_ms:7.1f} ms", flush=True)
    return rows


@contextlib.contextmanager
def substring_search() -> Iterator[None]:
    """Make the kit's search behave as before full-text search: ``icontains``, unranked."""
    from ecommerce_kit.catalog import search

    original = search.get_search_features
    search.get_search_features = lambda using="default": search.SearchFeatures(False, False)
    try:
        yield
    finally:
        search.get_search_features = original


def time_migration() -> float:
    from django.core.management import call_command

    call_command("migrate", "ecommerce_kit_catalog", "0002", verbosity=0)
    began = time.perf_counter()
    call_command("migrate", "ecommerce_kit_catalog", "0003", verbosity=0)
    return time.perf_counter() - began


# --- environment --------------------------------------------------------------------------------


def machine() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone() or ("?",)
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_trgm'")
        trgm = cursor.fetchone()
    return http_load.machine_facts(
        "python " + " ".join(sys.argv),
        [
            ("load average before", " ".join(f"{x:.2f}" for x in os.getloadavg())),
            ("PostgreSQL", f"{version}; pg_trgm {trgm[0] if trgm else 'not installed'}"),
        ],
    )


def markdown(rows: list[Row]) -> str:
    lines = [
        "| products | search | engine | matches | median ms | p95 ms | SQL ms (median) |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        text = ", ".join(f"{k}={v}" for k, v in row.params.items()) or "—"
        lines.append(
            f"| {row.size:,} | {row.label}: `{text}` | {row.engine} | {row.matches:,} | "
            f"{row.median_ms:.1f} | {row.p95_ms:.1f} | {row.sql_ms:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated product counts")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per row")
    parser.add_argument("--explain", action="store_true", help="print each search's plan")
    parser.add_argument("--no-substring", action="store_true", help="skip the icontains comparison")
    parser.add_argument(
        "--no-migration", action="store_true", help="skip timing migration 0003 at the end"
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if not 1 <= args.repeat <= 1000 or not sizes or not 1 <= sizes[-1] <= 1_000_000:
        parser.error("--repeat must be 1..1000 and sizes 1..1000000")

    with http_load.postgres_url("ek_bench_search") as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.db import connection

        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            from ecommerce_kit.catalog.search import get_search_features

            features = get_search_features()
            if not features.full_text:
                raise SystemExit("The product table has no search column: is it migrated?")
            info = machine()
            rng = random.Random(12)
            rows: list[Row] = []
            seeded: dict[int, float] = {}
            for size in sizes:
                seeded[size] = seed(size, rng)
                print(f"Seeded {size:,} products in {seeded[size]:.1f} s", flush=True)
                rows += measure(size, "full text", args.repeat, args.explain)
                if not args.no_substring:
                    with substring_search():
                        rows += measure(size, "icontains", args.repeat, args.explain)
            migration = None if args.no_migration else time_migration()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)

    print("\n| | |\n|---|---|")
    for key, value in info:
        print(f"| {key} | {value} |")
    print(f"| typo tolerance (pg_trgm) | {'on' if features.trigram else 'off'} |")
    for size, seconds in seeded.items():
        print(f"| seeding up to {size:,} products | {seconds:.1f} s |")
    if migration is not None:
        print(f"| migration 0003 on {sizes[-1]:,} products | {migration:.1f} s |")
    print()
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
