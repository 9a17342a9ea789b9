"""The kit's own product search, behind the ``search`` filter of the product list.

On PostgreSQL, products are matched by full-text search and ranked by relevance:

- Each product row carries ``search_vector``, a stored generated ``tsvector`` column that
  migration ``0003_product_search_vector`` adds (with a GIN index) and that PostgreSQL recomputes
  on every write of the row, whoever writes it. It holds the name with weight A and the
  description with weight B, each parsed with three text search configurations: ``simple``
  (words as written), ``english`` and ``portuguese`` (stemmed). It is not a model field, so it is
  never loaded into Python; :class:`ProductSearchVector` refers to it in queries.
- The search text is parsed with ``websearch_to_tsquery`` under the same three configurations and
  the three queries are OR-ed: a product matches when all the words match under one of them, so
  "running" finds "run" (English stems), "sapatos" finds "sapato" (Portuguese stems) and a brand
  or code matches as written. ``websearch_to_tsquery`` accepts any text: quoted phrases, ``or``
  and ``-word`` have their web-search meaning, and nothing a client types is a syntax error.
- Relevance is ``ts_rank`` over the weighted vector, so a match in the name ranks above a match
  in the description.
- When the ``pg_trgm`` extension is installed, a product whose name is close to the text
  (``word_similarity`` at or above ``pg_trgm.word_similarity_threshold``, 0.6 by default) matches
  too: typos ("sapto") and word beginnings ("sapa"). Such matches rank after the full-text ones,
  by similarity.

Whether the column and ``pg_trgm`` are there is asked once per process and database (one query,
the first time a search runs); a database migrated without the column (``--nomigrations`` test
databases) falls back to the substring match. Other databases (SQLite) keep that match:
case-insensitive ``icontains`` on name and description, unranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, F, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.sql.compiler import SQLCompiler

from ecommerce_kit.catalog.models import Product

__all__ = [
    "SEARCH_VECTOR_COLUMN",
    "TEXT_SEARCH_CONFIGS",
    "ProductSearchVector",
    "SearchFeatures",
    "clear_search_features",
    "get_search_features",
    "search_products",
]

#: The generated ``tsvector`` column of the product table.
SEARCH_VECTOR_COLUMN = "search_vector"
#: The text search configurations the column is built with, and the query parsed with.
TEXT_SEARCH_CONFIGS = ("simple", "english", "portuguese")


@dataclass(frozen=True)
class SearchFeatures:
    """What the database offers the product search."""

    #: The product table has the ``search_vector`` column (PostgreSQL, migrated).
    full_text: bool
    #: ``pg_trgm`` is installed, for typo-tolerant matching of names.
    trigram: bool


_NONE = SearchFeatures(full_text=False, trigram=False)
_features: dict[tuple[str, str, str, str], SearchFeatures] = {}


def get_search_features(using: str = DEFAULT_DB_ALIAS) -> SearchFeatures:
    """Return what database ``using`` offers, asking it once per process.

    :param using: A database alias.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return _NONE
    settings = connection.settings_dict
    key = (using, str(settings.get("HOST")), str(settings.get("PORT")), str(settings.get("NAME")))
    found = _features.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s)"
                " AND attname = %s AND NOT attisdropped),"
                " to_regprocedure('word_similarity(text, text)') IS NOT NULL",
                [connection.ops.quote_name(Product._meta.db_table), SEARCH_VECTOR_COLUMN],
            )
            row = cursor.fetchone()
        full_text, trigram = (bool(row[0]), bool(row[1])) if row else (False, False)
        found = _features[key] = SearchFeatures(full_text=full_text, trigram=full_text and trigram)
    return found


def clear_search_features(**kwargs: Any) -> None:
    """Forget what the databases offer (connected to ``post_migrate``)."""
    _features.clear()


class ProductSearchVector(Expression):
    """The ``search_vector`` column of the product table, which no model field describes."""

    output_field = SearchVectorField()

    def __init__(self, pk: Any = None) -> None:
        super().__init__()
        # The primary key resolves to the product table's alias in the query, including when
        # Django relabels it inside a subquery.
        self.pk = F("pk") if pk is None else pk

    def get_source_expressions(self) -> list[Any]:
        return [self.pk]

    def set_source_expressions(self, exprs: Sequence[Combinable | Expression]) -> None:
        (self.pk,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        alias = getattr(self.pk, "alias", None)
        if alias is None:
            raise TypeError("ProductSearchVector must be resolved against a Product query.")
        column = connection.ops.quote_name(SEARCH_VECTOR_COLUMN)
        return f"{compiler.quote_name_unless_alias(alias)}.{column}", []


def _text_query(query: str) -> Any:
    combined: Any = None
    for config in TEXT_SEARCH_CONFIGS:
        part = SearchQuery(query, config=config, search_type="websearch")
        combined = part if combined is None else combined | part
    return combined


def search_products(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Narrow ``queryset`` to the products matching ``query``, most relevant first.

    On PostgreSQL the result is ordered by relevance (then newest id); elsewhere it keeps the
    order of ``queryset``. A later ``order_by()`` replaces the relevance order, and the rank is
    then not computed at all (it is an ``alias()``, not an annotation).

    :param queryset: Products, possibly filtered already.
    :param query: The stripped, non-empty search text.
    :returns: The matching products.
    """
    features = get_search_features(queryset.db)
    if not features.full_text:
        return queryset.filter(Q(name__icontains=query) | Q(description__icontains=query))
    text_query = _text_query(query)
    vector = ProductSearchVector()
    matches = Q(SearchVectorExact(vector, text_query))
    ranks: dict[str, Any] = {"search_rank": SearchRank(vector, text_query)}
    if features.trigram:
        matches |= Q(TrigramWordSimilar(F("name"), Value(query)))
        ranks["search_similarity"] = TrigramWordSimilarity(query, "name")
    return (
        queryset.filter(matches).alias(**ranks).order_by(*(F(name).desc() for name in ranks), "-id")
    )
