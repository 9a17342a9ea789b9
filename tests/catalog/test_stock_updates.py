"""Stock changes at every checkout and cancellation: no index may hold the stock column, so that
PostgreSQL updates it in place (a HOT update) instead of writing an entry in every index of the
product table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from ecommerce_kit.catalog.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _indexed_columns(index: object) -> set[str]:
    return {
        *(name.lstrip("-") for name in getattr(index, "fields", ())),
        *getattr(index, "include", ()),
    }


def test_no_declared_index_holds_the_stock() -> None:
    assert not Product._meta.get_field("stock_quantity").db_index
    for index in Product._meta.indexes:
        assert "stock_quantity" not in _indexed_columns(index), index.name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's HOT updates")
def test_the_conditional_stock_update_is_a_hot_update() -> None:
    table = Product._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
            " WHERE i.indrelid = %s::regclass AND a.attname = 'stock_quantity'",
            [table],
        )
        assert cursor.fetchone()[0] == 0  # also the indexes only the migrations create

    product = ProductFactory(stock_quantity=10)

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = "
                "%s::regclass",
                [table],
            )
            updated, hot = cursor.fetchone()
        return int(updated), int(hot)

    before = updates()
    # What checkout runs for each line (orders.services), and a cancellation's give-back.
    assert Product.objects.filter(pk=product.pk, stock_quantity__gte=3).update(
        stock_quantity=F("stock_quantity") - 3
    )
    Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") + 1)
    after = updates()

    assert (after[0] - before[0], after[1] - before[1]) == (2, 2)
