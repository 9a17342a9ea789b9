"""Count the SQL queries of the main endpoints at growing sizes and print a Markdown table.

Run from the repository root (SQLite, a temporary file; or PostgreSQL with ``DATABASE_URL``)::

    PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings python bench/query_counts.py
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/ek_bench_qc \\
        PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings python bench/query_counts.py

A throwaway database is created with ``migrate`` (Django's test database: a temporary SQLite file,
or ``test_<name>`` on PostgreSQL) and destroyed at the end. Requests go through Django's test
client; authenticated calls use ``force_authenticate``, so authentication itself costs nothing here
(the example project's JWT authentication adds one query, the user, to every authenticated call).

``--sql SCENARIO`` (e.g. ``--sql "checkout:20"``) also prints the queries of that row, grouped by
statement shape, to see where a count comes from.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src")):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
# Installed plugins stay out of the counts, as in the test suite.
os.environ.setdefault("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from moneyed import Money  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from ecommerce_kit.cart import services as cart_services  # noqa: E402
from ecommerce_kit.cart.models import Cart  # noqa: E402
from ecommerce_kit.catalog.models import Product, ProductRating, Store  # noqa: E402
from ecommerce_kit.reviews import services as review_services  # noqa: E402
from tests.factories import (  # noqa: E402
    CategoryFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
    VariantFactory,
)

API = "/api/v1"
ADDRESS = {"full_name": "Ana Silva", "line1": "Rua Direita 12", "city": "Luanda", "country": "AO"}
CHECKOUT_BODY = {
    "shipping_address": ADDRESS,
    "payment_method": "dummy",
    "payment_data": {"token": "tok_success"},
}

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.I)


@dataclass
class Row:
    """One measured request."""

    endpoint: str
    size: str
    queries: int
    status: int
    sql: list[str] = field(default_factory=list)

    @property
    def data_queries(self) -> int:
        """The statements that are not transaction control (BEGIN, COMMIT, SAVEPOINT, ...)."""
        return sum(1 for sql in self.sql if not TRANSACTION_CONTROL.match(sql))

    @property
    def key(self) -> str:
        return f"{self.endpoint}:{self.size}"


@dataclass
class Bench:
    """Measure requests and keep the rows, in order."""

    rows: list[Row] = field(default_factory=list)

    def measure(self, endpoint: str, size: Any, call: Callable[[], Any], expect: int = 200) -> Row:
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        if response.status_code != expect:
            body = getattr(response, "data", None) or response.content[:500]
            raise SystemExit(f"{endpoint} ({size}): HTTP {response.status_code}: {body}")
        row = Row(
            endpoint=endpoint,
            size=str(size),
            queries=len(ctx.captured_queries),
            status=response.status_code,
            sql=[q["sql"] for q in ctx.captured_queries],
        )
        self.rows.append(row)
        return row


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def client_for(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


# --- data ------------------------------------------------------------------------------------


def build_catalog() -> None:
    """120 listed products: 60 groups of 3 variants and 60 rated standalone products."""
    stores = [StoreFactory() for _ in range(3)]
    root = CategoryFactory(slug="bench-root")
    categories = [CategoryFactory(parent=root) for _ in range(3)]
    for n in range(60):
        group = ProductFactory(
            store=stores[n % 3], category=categories[n % 3], name=f"Group {n}", stock_quantity=0
        )
        for size in ("S", "M", "L"):
            VariantFactory(
                parent=group,
                attributes={"size": size},
                price=Money(Decimal(100 + n), "AOA"),
                stock_quantity=(n + len(size)) % 7,
            )
        standalone = ProductFactory(
            store=stores[n % 3],
            category=categories[n % 3],
            name=f"Standalone {n}",
            price=Money(Decimal(90 + 2 * n), "AOA"),
        )
        rating = 1 + n % 5
        ProductRating.objects.create(
            product=standalone,
            count=1,
            total=rating,
            average=rating,
            **{f"count_{rating}": 1},
        )


def products_for_lines(count: int, stores: list[Store]) -> list[Product]:
    """``count`` purchasable products over ``stores``, every other one a variant."""
    products: list[Product] = []
    for n in range(count):
        store = stores[n % len(stores)]
        if n % 2:
            products.append(VariantFactory(parent=ProductFactory(store=store), stock_quantity=50))
        else:
            products.append(ProductFactory(store=store, stock_quantity=50))
    return products


def fill_cart(user: Any, products: list[Product]) -> Cart:
    Cart.objects.filter(user=user).delete()
    cart = cart_services.get_or_create_user_cart(user=user)
    for product in products:
        cart_services.add_item(cart=cart, product_id=product.pk, quantity=1)
    return cart


def checkout(user: Any) -> str:
    response = client_for(user).post(f"{API}/checkout/", CHECKOUT_BODY, format="json")
    if response.status_code != 201:
        raise SystemExit(f"checkout setup failed: {response.status_code} {response.data}")
    return str(response.data["order"]["number"])


# --- scenarios -------------------------------------------------------------------------------


def product_scenarios(bench: Bench) -> None:
    build_catalog()
    anonymous = client_for()
    filtered = {"in_stock": "true", "min_price": "100", "currency": "AOA", "ordering": "-rating"}
    for page_size in (1, 20, 100):
        bench.measure(
            "GET products/ (default)",
            page_size,
            lambda p=page_size: anonymous.get(f"{API}/products/", {"page_size": p}),
        )
    for page_size in (1, 20, 100):
        bench.measure(
            "GET products/ (in_stock, min_price, currency, ordering=-rating)",
            page_size,
            lambda p=page_size: anonymous.get(f"{API}/products/", {**filtered, "page_size": p}),
        )
    store_slug = Store.objects.order_by("pk").values_list("slug", flat=True).first()
    for page_size in (1, 20, 100):
        bench.measure(
            "GET products/ (category tree + store + search)",
            page_size,
            lambda p=page_size: anonymous.get(
                f"{API}/products/",
                {
                    "category": "bench-root",
                    "store": store_slug,
                    "search": "o",
                    "page_size": p,
                },
            ),
        )
    standalone = Product.objects.filter(name="Standalone 0").get()
    bench.measure(
        "GET products/{id}/",
        "standalone",
        lambda: anonymous.get(f"{API}/products/{standalone.pk}/"),
    )
    for variants in (3, 20):
        group = ProductFactory(name=f"Detail group {variants}")
        for n in range(variants):
            VariantFactory(parent=group, attributes={"size": f"S{n}"})
        bench.measure(
            "GET products/{id}/",
            f"group, {variants} variants",
            lambda g=group: anonymous.get(f"{API}/products/{g.pk}/"),
        )


def cart_scenarios(bench: Bench) -> None:
    stores = [StoreFactory() for _ in range(5)]
    for lines in (1, 10, 50):
        user = UserFactory()
        fill_cart(user, products_for_lines(lines, stores))
        client = client_for(user)
        bench.measure(
            "GET cart/ (signed in)", plural(lines, "line"), lambda c=client: c.get(f"{API}/cart/")
        )
    for lines in (1, 49):
        user = UserFactory()
        fill_cart(user, products_for_lines(lines, stores))
        extra = ProductFactory(store=stores[0])
        client = client_for(user)
        bench.measure(
            "POST cart/items/ (new line)",
            f"cart of {plural(lines, 'line')}",
            lambda c=client, p=extra: c.post(
                f"{API}/cart/items/", {"product": p.pk, "quantity": 1}, format="json"
            ),
            expect=201,
        )


def order_scenarios(bench: Bench) -> None:
    stores = [StoreFactory() for _ in range(5)]
    for lines in (1, 5, 20):
        user = UserFactory()
        fill_cart(user, products_for_lines(lines, stores))
        client = client_for(user)
        bench.measure(
            "POST checkout/ (dummy gateway, captured)",
            plural(lines, "line"),
            lambda c=client: c.post(f"{API}/checkout/", CHECKOUT_BODY, format="json"),
            expect=201,
        )
    for orders in (1, 20):
        user = UserFactory()
        for _ in range(orders):
            fill_cart(user, products_for_lines(2, stores))
            checkout(user)
        client = client_for(user)
        bench.measure(
            "GET orders/ (2 lines each)",
            plural(orders, "order"),
            lambda c=client: c.get(f"{API}/orders/", {"page_size": 100}),
        )
    for lines in (1, 20):
        user = UserFactory()
        fill_cart(user, products_for_lines(lines, stores))
        number = checkout(user)
        client = client_for(user)
        bench.measure(
            "GET orders/{number}/",
            plural(lines, "line"),
            lambda c=client, n=number: c.get(f"{API}/orders/{n}/"),
        )


def review_scenarios(bench: Bench) -> None:
    for reviews in (1, 30):
        product = ProductFactory()
        for n in range(reviews):
            review_services.create_review(
                user=UserFactory(), product_id=product.pk, rating=1 + n % 5, title=f"Review {n}"
            )
        anonymous = client_for()
        bench.measure(
            "GET products/{id}/reviews/",
            plural(reviews, "review"),
            lambda c=anonymous, p=product: c.get(
                f"{API}/products/{p.pk}/reviews/", {"page_size": 100}
            ),
        )


# --- output ----------------------------------------------------------------------------------


def markdown(rows: list[Row]) -> str:
    lines = [
        "| endpoint | size | queries | without BEGIN/COMMIT/SAVEPOINT | vs. smallest size |",
        "|---|---|---:|---:|---:|",
    ]
    first: dict[str, int] = {}
    for row in rows:
        delta = row.queries - first.setdefault(row.endpoint, row.queries)
        growth = "=" if delta == 0 else f"{delta:+d}"
        lines.append(
            f"| {row.endpoint} | {row.size} | {row.queries} | {row.data_queries} | {growth} |"
        )
    return "\n".join(lines)


def normalise(sql: str) -> str:
    """Reduce a statement to its shape: literals and parameter lists collapsed."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\((?:\s*(?:\?|%s)\s*,)+\s*(?:\?|%s)\s*\)", "(?, …)", sql)
    return sql


def print_sql(row: Row) -> None:
    print(f"\nQueries of {row.key} ({row.queries}):")
    for shape, count in Counter(normalise(sql) for sql in row.sql).most_common():
        print(f"  {count:>3} × {shape[:300]}")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Create the test database (migrated) and destroy it afterwards."""
    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield str(name)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sql",
        action="append",
        default=[],
        metavar="ENDPOINT:SIZE",
        help="print the queries of the rows whose 'endpoint:size' contains this text",
    )
    args = parser.parse_args(argv)
    kit = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "bench"}},
        "REVIEWS_REQUIRE_PURCHASE": False,
    }
    bench = Bench()
    with throwaway_database() as name, override_settings(ECOMMERCE_KIT=kit):
        vendor = connection.vendor
        product_scenarios(bench)
        cart_scenarios(bench)
        order_scenarios(bench)
        review_scenarios(bench)
    print(f"Database: {vendor} ({name}); Django test client; queries per request.\n")
    print(markdown(bench.rows))
    for wanted in args.sql:
        for row in bench.rows:
            if wanted.lower() in row.key.lower():
                print_sql(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
