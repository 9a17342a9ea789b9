"""CPU per request of the kit's endpoints and of the floor's, in-process, with a profile on demand.

Run from the repository root against a PostgreSQL database of its own, which it migrates and
seeds (``seed_demo``) when empty::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ek_profile \\
        python bench/profile_endpoints.py [--repeat 200] [--profile "kit cart add"]

Requests go through Django's test client with the settings of ``bench/floor_compare.py``
(``bench.floor.settings``: the example site, throttles off, the floor under ``/floor/``), so the
whole stack runs (middleware, JWT authentication, DRF, serializers, the database driver), but no
HTTP server. For each scenario of ``floor_compare.py`` and each side it prints the median and
minimum process CPU time per operation (this process only: PostgreSQL's own CPU is not included)
and the number of SQL statements other than transaction control. ``--profile "SIDE SCENARIO"``
prints the cProfile of that row, sorted by cumulative time; ``--only`` picks scenarios.

The site's Celery app is loaded as in its web processes. With ``REDIS_URL`` (a Redis of the
script's own, e.g. a throwaway ``redis-server --port 6390 --save ''``) the kit's tasks (the order
e-mails) are queued on it, as ``floor_compare.py`` measures by default, and the queue is emptied
at the end; without it they run in the request, as with ``floor_compare.py --no-broker``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "src"), str(ROOT / "example_project"), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

Operation = Callable[[int], object]
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def setup() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database of this script's own.")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-loopback-server-key")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
    import django

    django.setup()
    import config  # noqa: F401  (the site's Celery app, as config.wsgi loads it)
    from django.core.management import call_command

    from ecommerce_kit.catalog.models import Product

    call_command("migrate", verbosity=0)
    if not Product.objects.exists():
        call_command("seed_demo", verbosity=0)


def scenario_operations(data: Any, prefix: str, headers: dict[str, str]) -> dict[str, Operation]:
    """The operations of ``floor_compare.py``'s scenarios, through Django's test client."""
    import http_load as hl
    from django.test import Client

    client = Client(HTTP_ACCEPT="application/json", HTTP_HOST="127.0.0.1")

    def call(method: str, path: str, body: Any = None) -> int:
        if method == "GET":
            response = client.get(prefix + path, **headers)
        else:
            response = client.post(prefix + path, body, content_type="application/json", **headers)
        if response.status_code not in (200, 201):
            raise SystemExit(f"{prefix}{path}: {response.status_code} {response.content[:300]!r}")
        return response.status_code

    return {
        "product list": lambda n: call("GET", data.list_paths[n % len(data.list_paths)]),
        "product detail": lambda n: call(
            "GET", f"products/{data.detail_ids[n % len(data.detail_ids)]}/"
        ),
        "cart add": lambda n: call(
            "POST", "cart/items/", {"product": data.cart_products[n % len(data.cart_products)]}
        ),
        "cart view": lambda n: call("GET", "cart/"),
        "checkout": lambda n: (
            call("POST", "cart/items/", {"product": data.checkout_product}),
            call("POST", "checkout/", hl.CHECKOUT_BODY),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed operations per row")
    parser.add_argument("--profile", default="", help='e.g. "kit product list"')
    parser.add_argument("--only", default="", help='e.g. "cart add,cart view" (default: all)')
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 5000:
        parser.error("--repeat must be 1..5000")
    setup()

    import floor_compare as fc
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = fc.prepare_data(1)
    rows = []
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(fc.SCENARIOS)
    for scenario in chosen:
        for side, prefix in fc.SIDES.items():
            users = data.users[side].get(scenario, [])
            headers = {}
            if users:
                if scenario in ("cart add", "checkout"):
                    fc.empty_carts(users)
                headers["HTTP_AUTHORIZATION"] = f"Bearer {fc.tokens(users)[0]}"
            operations = scenario_operations(data, prefix, headers)
            op = operations[scenario]
            for n in range(5):
                op(n)
            if scenario == "cart add":
                fc.empty_carts(users)
            with CaptureQueriesContext(connection) as ctx:
                op(0)
            statements = sum(
                1 for q in ctx.captured_queries if not q["sql"].upper().startswith(CONTROL)
            )
            profile = cProfile.Profile() if args.profile == f"{side} {scenario}" else None
            times = []
            for n in range(args.repeat):
                began = time.process_time()
                if profile:
                    profile.enable()
                op(n)
                if profile:
                    profile.disable()
                times.append((time.process_time() - began) * 1000)
            rows.append((scenario, side, statistics.median(times), min(times), statements))
            print(
                f"{scenario:<15} {side:<5} median {rows[-1][2]:6.2f} ms, "
                f"min {rows[-1][3]:6.2f} ms, {statements} statements",
                flush=True,
            )
            if profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    if os.environ.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
        print(f"{client.llen('celery')} Celery messages were queued on Redis; emptied.")
        client.flushdb()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
