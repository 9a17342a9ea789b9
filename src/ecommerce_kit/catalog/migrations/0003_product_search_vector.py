"""Full-text search of products on PostgreSQL (nothing changes on other databases).

Adds to the product table, outside Django's model state (the column is never read into Python):

- ``search_vector``: a stored generated ``tsvector`` column, so PostgreSQL itself recomputes it on
  every INSERT and every UPDATE of a row (services, the admin, ``QuerySet.update()``,
  ``bulk_create()``, raw SQL alike). It holds the name (weight A) and the first 100,000
  characters of the description (weight B), each parsed three times: with the ``simple``
  configuration (exact words, no stop words removed), with ``english`` and with ``portuguese``
  (stemmed). ``ecommerce_kit.catalog.search`` queries it with the same three configurations.
- ``ek_product_search``: a GIN index on it.
- When the ``pg_trgm`` extension can be had (it is already installed, or this database user may
  create it: PostgreSQL 13+ lets a database owner create it without being a superuser), the
  extension and ``ek_product_name_trgm``, a GIN trigram index on the name, for typo-tolerant
  matching. When it cannot, the migration carries on without it and search works without typo
  tolerance; see docs/catalog.md for adding it later.

A later migration that changes the type of ``name`` or ``description`` must drop
``search_vector`` first and add it again afterwards: PostgreSQL refuses to alter the type of a
column a generated column uses.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger("ecommerce_kit.catalog")

TABLE = "ecommerce_kit_catalog_product"
DESCRIPTION_LIMIT = 100_000


def _vector_sql(column, weight, limit=None):
    text = f"coalesce({column}, '')" if limit is None else f"left(coalesce({column}, ''), {limit})"
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, {text}), '{weight}')"
        for config in ("simple", "english", "portuguese")
    )


SEARCH_VECTOR = (
    f"{_vector_sql('name', 'A')} || {_vector_sql('description', 'B', DESCRIPTION_LIMIT)}"
)


def add_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
    )
    schema_editor.execute(
        f"CREATE INDEX ek_product_search ON {TABLE} USING gin (search_vector)"
    )
    if enable_trigrams(schema_editor):
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS ek_product_name_trgm ON {TABLE} "
                    "USING gin (name gin_trgm_ops)"
                )
        except DatabaseError as exc:  # e.g. pg_trgm lives in a schema not on the search_path
            logger.warning(
                "Product search: the trigram index on product names could not be created (%s); "
                "typo-tolerant search will scan the names.",
                _first_line(exc),
            )


def enable_trigrams(schema_editor):
    """Create ``pg_trgm`` if it is missing and allowed; return whether it is there now."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return True
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: a refusal is undone
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        logger.warning(
            "Product search: the pg_trgm extension could not be created (%s). Search works "
            "without typo tolerance; a superuser can run CREATE EXTENSION pg_trgm later.",
            _first_line(exc),
        )
        return False
    return True


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def remove_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_name_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS ek_product_search")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):

    dependencies = [
        ("ecommerce_kit_catalog", "0002_rating_bucket_names"),
    ]

    operations = [
        migrations.RunPython(add_search, remove_search, elidable=False),
    ]
