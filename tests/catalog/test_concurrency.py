from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Product, Store
from ecommerce_kit.exceptions import StoreExistsError
from tests.factories import CategoryFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_stores_of_one_owner_make_one_store() -> None:
    owner = UserFactory()
    results = _race(
        *(lambda n=n: services.create_store(owner=owner, name=f"Loja {n}") for n in range(4))
    )
    stores = [r for r in results if isinstance(r, Store)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(stores) == 1
    assert len(errors) == 3 and all(isinstance(e, StoreExistsError) for e in errors)
    assert Store.objects.filter(owner=owner).count() == 1


def test_concurrent_products_with_one_name_get_distinct_slugs() -> None:
    store = StoreFactory()
    category = CategoryFactory()
    from moneyed import Money

    results = _race(
        *(
            lambda: services.create_product(
                seller=store.owner,
                name="Caneca",
                price=Money("10", "AOA"),
                category=category,
            )
            for _ in range(4)
        )
    )
    assert all(isinstance(r, Product) for r in results), results
    slugs = sorted(Product.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 4
    assert "caneca" in slugs
