"""Several web processes, one truth: throttles and circuit breakers kept in a shared Redis.

Two gunicorn processes of the example site share one database and, through ``REDIS_URL``, one
Redis cache. One client alternates between them; the documented rate holds in total.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.multiprocess.servers import ExampleSite

pytestmark = pytest.mark.multiprocess

RATE = 5  # requests per minute, the cart scope's rate in these sites
REQUESTS = 16


def post(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("POST", path, body=b"", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Callable[..., ExampleSite]]:
    sites: list[ExampleSite] = []

    def make(redis_url: str, *, migrate: bool = True) -> ExampleSite:
        site = ExampleSite(
            tmp_path,
            redis_url=redis_url,
            kit=f'"THROTTLE_RATES": {{"ecommerce_kit.cart": "{RATE}/min"}}',
        )
        sites.append(site)
        if migrate:
            site.run("manage.py", "migrate", "--noinput", "-v0")
        return site

    yield make
    for site in sites:
        site.stop()


def alternate(site: ExampleSite) -> list[int]:
    """Create carts anonymously through two web processes in turn; return the statuses."""
    ports = [site.start_gunicorn("web-1"), site.start_gunicorn("web-2")]
    return [post(ports[i % 2], "/api/v1/cart/") for i in range(REQUESTS)]


def test_throttle_rate_holds_across_two_processes_sharing_redis(site, redis_url):
    statuses = alternate(site(redis_url))

    assert statuses.count(201) == RATE, statuses
    assert statuses.count(429) == REQUESTS - RATE, statuses
    assert statuses[:RATE] == [201] * RATE


def test_throttle_counts_per_process_without_a_shared_cache(site, redis_server):
    # The failure system check W002 warns about: each process keeps its own count.
    statuses = alternate(site(""))

    assert statuses.count(201) == 2 * RATE, statuses


BREAKER = """
import json, sys, django
django.setup()
from ecommerce_kit.payments.http import CircuitBreaker
breaker = CircuitBreaker("acme", threshold=3, reset=60)
for _ in range(int(sys.argv[1])):
    breaker.record_failure()
print(json.dumps({"state": breaker.state, "allow": breaker.allow()}))
"""


def test_circuit_breaker_opened_in_one_process_is_open_in_another(site, redis_url):
    example = site(redis_url, migrate=False)

    def run(failures: int) -> dict[str, object]:
        done = example.run("-c", BREAKER, str(failures))
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert run(2) == {"state": "closed", "allow": True}
    # A third failure, in another process: the circuit opens for every process.
    assert run(1) == {"state": "open", "allow": False}
    assert run(0) == {"state": "open", "allow": False}
