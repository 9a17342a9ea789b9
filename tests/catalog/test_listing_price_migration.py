"""Migration ``0006_product_listing_price`` fills the new columns of existing rows; reversible."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ecommerce_kit.catalog.models import Product

BEFORE = [("ecommerce_kit_catalog", "0005_variant_and_category_indexes")]


def _migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_0006_fills_listing_prices_of_existing_rows_and_reverses() -> None:
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        owner = old.get_model("auth", "User").objects.create(username="owner")
        store = old.get_model("ecommerce_kit_catalog", "Store").objects.create(
            owner=owner, name="S", slug="s", is_approved=True
        )
        category = old.get_model("ecommerce_kit_catalog", "Category").objects.create(
            name="C", slug="c"
        )
        old_product = old.get_model("ecommerce_kit_catalog", "Product")

        def create(slug: str, amount: str, **extra: object) -> int:
            row = old_product.objects.create(
                store=store,
                category=category,
                name=slug,
                slug=slug,
                price=Decimal(amount),
                price_currency="AOA",
                **extra,
            )
            return int(row.pk)

        standalone = create("standalone", "120.50")
        group = create("group", "9000")
        create("s", "700", parent_id=group)
        create("m", "800", parent_id=group)
        create("l", "10", parent_id=group, is_active=False)
        lonely = create("lonely", "500")  # only an inactive variant: its own price
        create("gone", "1", parent_id=lonely, is_active=False)

        _migrate()
        stored = dict(
            Product.objects.values_list("pk", "listing_price").filter(
                pk__in=[standalone, group, lonely]
            )
        )
        highest = dict(
            Product.objects.values_list("pk", "listing_price_max").filter(
                pk__in=[standalone, group, lonely]
            )
        )
        assert stored == {
            standalone: Decimal("120.50"),
            group: Decimal("700.00"),
            lonely: Decimal("500.00"),
        }
        assert highest == {
            standalone: Decimal("120.50"),
            group: Decimal("800.00"),
            lonely: Decimal("500.00"),
        }

        _migrate(BEFORE)  # reverses: the columns go
        with connection.cursor() as cursor:
            columns = {
                c.name
                for c in connection.introspection.get_table_description(
                    cursor, Product._meta.db_table
                )
            }
        assert "listing_price" not in columns
        assert "listing_price_max" not in columns
    finally:
        _migrate()
