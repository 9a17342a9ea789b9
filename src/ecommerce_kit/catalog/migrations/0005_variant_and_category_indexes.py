"""Indexes the filtered product list and the search read at scale.

- ``ek_product_variant_price``: the variants (``parent`` set) by group and price, including
  ``is_active``, ``stock_quantity`` and ``price_currency`` on PostgreSQL, so that the list's
  price, stock and currency filters and a group's lowest price read a group's variants from
  the index alone. It replaces the plain index of the ``parent`` foreign key (dropped last, once
  the new one exists): that one also held every NULL, and PostgreSQL scanned those to find the
  catalog's groups and standalone products instead of using the search indexes.
- ``ek_product_listed_category``: the listed products (active, no parent) by category.
- On PostgreSQL, the search indexes of ``0003_product_search_vector`` are replaced by the same
  indexes restricted to the listed products (the only rows the kit's search reads):
  ``ek_product_listed_search`` (GIN on ``search_vector``) and, when ``pg_trgm`` is installed,
  ``ek_product_listed_name_trgm`` (GIN trigram on ``name``).
"""

import logging

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger("ecommerce_kit.catalog")

TABLE = "ecommerce_kit_catalog_product"
LISTED = "is_active AND parent_id IS NULL"


def _has_trigrams(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _trigram_index(schema_editor, name, where):
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} "
                f"USING gin (name gin_trgm_ops){where}"
            )
    except DatabaseError as exc:  # e.g. pg_trgm lives in a schema not on the search_path
        text = str(exc).strip().splitlines()
        logger.warning(
            "Product search: the trigram index %s could not be created (%s); typo-tolerant "
            "search will scan the names.",
            name,
            text[0] if text else type(exc).__name__,
        )


def listed_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS ek_product_listed_search ON {TABLE} "
        f"USING gin (search_vector) WHERE {LISTED}"
    )
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_search")
    if _has_trigrams(schema_editor.connection):
        _trigram_index(schema_editor, "ek_product_listed_name_trgm", f" WHERE {LISTED}")
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_name_trgm")


def whole_table_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS ek_product_search ON {TABLE} USING gin (search_vector)"
    )
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_listed_search")
    if _has_trigrams(schema_editor.connection):
        _trigram_index(schema_editor, "ek_product_name_trgm", "")
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_listed_name_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("ecommerce_kit_catalog", "0004_catalog_listing_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("parent__isnull", False)),
                fields=["parent", "price"],
                include=("is_active", "stock_quantity", "price_currency"),
                name="ek_product_variant_price",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True), ("parent__isnull", True)),
                fields=["category"],
                name="ek_product_listed_category",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="variants",
                to="ecommerce_kit_catalog.product",
                verbose_name="variant of",
            ),
        ),
        migrations.RunPython(listed_search_indexes, whole_table_search_indexes, elidable=False),
    ]
