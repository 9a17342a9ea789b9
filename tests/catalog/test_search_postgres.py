"""Full-text product search on PostgreSQL: ranking, stemming, typos, freshness, filters, budget.

These tests run in the PostgreSQL leg of the suite and are skipped on SQLite, which keeps the
substring match (see test_filters.py).
"""

from __future__ import annotations

import importlib
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.catalog import search, services
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.search import SearchFeatures, get_search_features
from tests.catalog.helpers import products_url
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL only"
    ),
    pytest.mark.django_db,
]


def _ids(api_client: Any, **params: Any) -> list[int]:
    """The ids of the first page, in the order the API gives them."""
    response = api_client.get(products_url(), params)
    assert response.status_code == 200, response.json()
    return [p["id"] for p in response.json()["results"]]


@pytest.fixture
def without_trigrams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full-text search alone, as on a database without pg_trgm."""
    monkeypatch.setattr(
        search,
        "get_search_features",
        lambda using="default": SearchFeatures(full_text=True, trigram=False),
    )


@pytest.fixture
def trigrams() -> None:
    if not get_search_features().trigram:
        pytest.skip("the pg_trgm extension is not installed in this database")


def _vector(product: Product) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM ecommerce_kit_catalog_product WHERE id = %s",
            [product.pk],
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


# --- what the database holds -----------------------------------------------------------------


def _index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'ecommerce_kit_catalog_product'"
        )
        return dict(cursor.fetchall())


def test_migration_adds_the_vector_column_and_its_index() -> None:
    assert get_search_features().full_text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated FROM information_schema.columns"
            " WHERE table_name = 'ecommerce_kit_catalog_product' AND column_name = 'search_vector'"
        )
        (generated,) = cursor.fetchone() or ("",)
    assert generated == "ALWAYS"
    indexes = _index_definitions()
    # Migration 0005 restricts the search indexes to the listed products, the rows searched.
    assert "ek_product_search" not in indexes
    assert (
        "USING gin (search_vector) WHERE (is_active AND (parent_id IS NULL))"
        in (indexes["ek_product_listed_search"])
    )
    if get_search_features().trigram:
        assert "ek_product_name_trgm" not in indexes
        assert (
            "USING gin (name gin_trgm_ops) WHERE (is_active AND (parent_id IS NULL))"
            in (indexes["ek_product_listed_name_trgm"])
        )


def test_no_index_holds_the_listed_products_by_their_null_parent() -> None:
    # An index of parent_id with its NULLs let the planner read the listed products through it
    # and test the search on each instead of using the GIN indexes; the variants' index holds
    # only variants (and covers what the price and currency filters read of them; not the
    # stock, which no index may hold: tests/catalog/test_stock_updates.py).
    indexes = _index_definitions()
    assert indexes["ek_product_variant_price"].endswith(
        "(parent_id, price) INCLUDE (is_active, price_currency) WHERE (parent_id IS NOT NULL)"
    )
    plain = [
        name
        for name, definition in indexes.items()
        if "(parent_id" in definition and "WHERE" not in definition
    ]
    assert plain == []


def test_vector_is_not_a_model_field_and_never_loaded() -> None:
    assert "search_vector" not in {f.name for f in Product._meta.get_fields()}
    product = ProductFactory(name="Sapato")
    with CaptureQueriesContext(connection) as ctx:
        Product.objects.get(pk=product.pk)
    assert "search_vector" not in ctx.captured_queries[0]["sql"]


def _weights(vector: str) -> dict[str, set[str]]:
    """``"'run':3A,7A 'sapat':9B"`` -> ``{"run": {"A"}, "sapat": {"B"}}``."""
    found = {}
    for lexeme, positions in re.findall(r"'((?:[^']|'')*)':(\S+)", vector):
        found[lexeme] = {p[-1] if p[-1] in "ABC" else "D" for p in positions.split(",")}
    return found


def test_name_is_weighted_above_description_in_three_configurations() -> None:
    weights = _weights(
        _vector(ProductFactory(name="Running shoes", description="Sapatos vermelhos"))
    )
    assert weights["running"] == {"A"}  # simple: the word as written
    assert weights["run"] == {"A"}  # english stem
    assert weights["shoe"] == {"A"}
    assert weights["sapatos"] == {"B"}
    assert weights["sapat"] == {"B"}  # portuguese stem
    assert weights["vermelh"] == {"B"}


# --- ranking -----------------------------------------------------------------------------------


def test_a_name_match_ranks_above_a_description_match(api_client: Any) -> None:
    in_name = ProductFactory(name="Waterproof jacket", description="Keeps the rain out.")
    in_description = ProductFactory(  # newer: first in the default order
        name="Trail runner", description="A waterproof jacket for cold mornings"
    )
    ProductFactory(name="Wool scarf", description="Warm and soft.")

    assert _ids(api_client, search="jacket") == [in_name.pk, in_description.pk]
    assert _ids(api_client, search="waterproof jacket") == [in_name.pk, in_description.pk]


def test_a_name_match_ranks_above_repeated_description_matches(api_client: Any) -> None:
    in_name = ProductFactory(name="Camisola azul", description="")
    in_description = ProductFactory(
        name="Casaco", description="Camisola por baixo, camisola por cima, camisolas azuis"
    )
    assert _ids(api_client, search="camisola") == [in_name.pk, in_description.pk]


def test_ordering_wins_over_relevance(api_client: Any) -> None:
    cheap = ProductFactory(name="Casaco", description="Casaco de chuva", price=Money("10", "AOA"))
    dear = ProductFactory(name="Casaco de lã", description="", price=Money("90", "AOA"))
    by_description = ProductFactory(
        name="Luvas", description="Combina com o casaco", price=Money("50", "AOA")
    )
    assert _ids(api_client, search="casaco", ordering="price") == [
        cheap.pk,
        by_description.pk,
        dear.pk,
    ]
    assert _ids(api_client, search="casaco", ordering="-created_at") == [
        by_description.pk,
        dear.pk,
        cheap.pk,
    ]


# --- stemming ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("without_trigrams")
def test_english_stemming_running_finds_run(api_client: Any) -> None:
    run = ProductFactory(name="Run club vest", description="")
    ProductFactory(name="Rain vest", description="")
    assert _ids(api_client, search="running") == [run.pk]
    assert _ids(api_client, search="runs") == [run.pk]


@pytest.mark.usefixtures("without_trigrams")
def test_portuguese_stemming_sapatos_finds_sapato(api_client: Any) -> None:
    shoe = ProductFactory(name="Sapato de couro", description="")
    red = ProductFactory(name="Vestido", description="Um vestido vermelho")
    ProductFactory(name="Sandália", description="")
    assert _ids(api_client, search="sapatos") == [shoe.pk]
    # Only the Portuguese stemmer relates these two (vermelh-).
    assert _ids(api_client, search="vermelhas") == [red.pk]


@pytest.mark.usefixtures("without_trigrams")
def test_all_words_must_match_under_one_language(api_client: Any) -> None:
    both = ProductFactory(name="Sapatos de corrida", description="Para correr na cidade")
    ProductFactory(name="Sapatos de festa", description="")
    assert _ids(api_client, search="sapato corrida") == [both.pk]
    assert _ids(api_client, search='"sapatos de corrida"') == [both.pk]
    assert set(_ids(api_client, search="festa or corrida")) == {
        both.pk,
        *Product.objects.filter(name="Sapatos de festa").values_list("pk", flat=True),
    }


@pytest.mark.usefixtures("without_trigrams")
def test_without_trigrams_a_typo_finds_nothing(api_client: Any) -> None:
    ProductFactory(name="Sapato de couro", description="")
    assert _ids(api_client, search="sapato") != []
    assert _ids(api_client, search="sapatp") == []


# --- typos -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("trigrams")
def test_typos_find_the_name_when_pg_trgm_is_installed(api_client: Any) -> None:
    shoe = ProductFactory(name="Sapato de couro", description="")
    runner = ProductFactory(name="Running shoes", description="")
    headphones = ProductFactory(name="Wireless headphones", description="")
    ProductFactory(name="Chapéu de palha", description="")
    assert _ids(api_client, search="sapatp") == [shoe.pk]
    assert _ids(api_client, search="runnig shoes") == [runner.pk]
    assert _ids(api_client, search="headphnes") == [headphones.pk]
    assert _ids(api_client, search="sapa") == [shoe.pk]  # a word being typed
    assert _ids(api_client, search="phones") == [headphones.pk]  # inside a word


@pytest.mark.usefixtures("trigrams")
def test_exact_matches_rank_above_close_spellings(api_client: Any) -> None:
    exact = ProductFactory(name="Lanterna", description="Uma lanterna de mão")
    close = ProductFactory(name="Lanternas solares", description="")
    in_description = ProductFactory(name="Kit de campismo", description="Inclui uma lanterna")
    assert close.pk > exact.pk
    ids = _ids(api_client, search="lanterna")
    assert ids[0] == exact.pk
    assert set(ids) == {exact.pk, close.pk, in_description.pk}


# --- kept current --------------------------------------------------------------------------------


@pytest.mark.usefixtures("without_trigrams")
def test_vector_follows_a_product_edit_through_the_service(api_client: Any, user: Any) -> None:
    store = StoreFactory(owner=user)
    product = ProductFactory(store=store, name="Camisola", description="Algodão")
    assert _ids(api_client, search="casaco") == []

    services.update_product(product=product, actor=user, name="Casaco de lã")

    assert _ids(api_client, search="casaco") == [product.pk]
    assert _ids(api_client, search="camisola") == []
    assert "'casac':" in _vector(product)


@pytest.mark.usefixtures("without_trigrams")
def test_vector_follows_bulk_updates_and_the_api(api_client: Any, client_for: Any) -> None:
    product = ProductFactory(name="Caneca", description="")
    Product.objects.filter(pk=product.pk).update(description="Porcelana pintada à mão")
    assert _ids(api_client, search="porcelana") == [product.pk]

    owner = product.store.owner
    response = client_for(owner).patch(
        f"{products_url()}{product.pk}/", {"description": "Barro vidrado"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert _ids(api_client, search="porcelana") == []
    assert _ids(api_client, search="barro") == [product.pk]


@pytest.mark.usefixtures("without_trigrams")
def test_vector_follows_model_saves_and_bulk_creates(api_client: Any) -> None:
    """The admin saves with ``Model.save()``; imports use ``bulk_create()``."""
    product = ProductFactory(name="Tapete", description="Lã")
    product.name = "Tapete de sisal"
    product.save()
    [imported] = Product.objects.bulk_create(
        [
            Product(
                store=product.store,
                category=product.category,
                name="Esteira",
                slug="esteira",
                description="Sisal entrançado",
                price=Money("10", "AOA"),
            )
        ]
    )
    assert _ids(api_client, search="sisal") == [product.pk, imported.pk]


# --- filters, pagination, errors --------------------------------------------------------------


@pytest.mark.usefixtures("without_trigrams")
def test_search_with_filters_and_pagination(api_client: Any) -> None:
    shoes = CategoryFactory(slug="calcado")
    other = CategoryFactory(slug="outros")
    store = StoreFactory()
    expected = set()
    for n in range(25):
        product = ProductFactory(
            store=store,
            category=shoes if n % 5 else other,
            name=f"Sapato modelo {n}" if n % 2 else f"Modelo {n}",
            description="" if n % 2 else "Um sapato confortável",
            price=Money(Decimal(100 + n), "AOA"),
        )
        if n % 5 and 100 + n <= 120:
            expected.add(product.pk)
    group = ProductFactory(store=store, category=shoes, name="Sapato com tamanhos")
    VariantFactory(parent=group, price=Money("110", "AOA"))
    VariantFactory(parent=group, price=Money("500", "AOA"))
    expected.add(group.pk)
    ProductFactory(name="Sapato de outra loja", price=Money("1", "AOA"))  # wrong category

    seen: list[int] = []
    for page in (1, 2, 3):
        response = api_client.get(
            products_url(),
            {
                "search": "sapatos",
                "category": "calcado",
                "max_price": "120",
                "page_size": 7,
                "page": page,
            },
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["count"] == len(expected)
        seen += [p["id"] for p in body["results"]]
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    # Name matches (weight A) come before description-only matches (weight B), page after page.
    names = Product.objects.in_bulk(seen)
    in_name = ["sapato" in names[pk].name.lower() for pk in seen]
    assert in_name == sorted(in_name, reverse=True)


@pytest.mark.parametrize(
    "text",
    ['"', '""', "!!", "-", "-sapato", "a & b | !c", "((", "):*", "'; DROP TABLE x; --", "é ç ã"],
)
def test_any_text_is_a_valid_search(api_client: Any, text: str) -> None:
    ProductFactory(name="Sapato", description="")
    response = api_client.get(products_url(), {"search": text})
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("text", ["x" * 201, "sap\x00ato"])
def test_bad_search_is_still_400(api_client: Any, text: str) -> None:
    response = api_client.get(products_url(), {"search": text})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "search" in body["fields"]


def test_search_keeps_the_three_query_budget(api_client: Any) -> None:
    for n in range(30):
        group = ProductFactory(name=f"Sapato {n}", description="Couro")
        VariantFactory(parent=group)
    get_search_features()  # asked once per process, not per request

    def count(params: dict[str, Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get(products_url(), params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert count({"page_size": 100}) == 3
    assert count({"search": "sapatos", "page_size": 1}) == 3
    assert count({"search": "sapatos", "page_size": 100}) == 3
    assert count({"search": "sapatos", "ordering": "price", "page_size": 100}) == 3


def test_features_are_asked_once_per_process() -> None:
    search.clear_search_features()
    with CaptureQueriesContext(connection) as first:
        features = get_search_features()
    with CaptureQueriesContext(connection) as second:
        assert get_search_features() is features
    assert len(first.captured_queries) == 1
    assert len(second.captured_queries) == 0


# --- plugins --------------------------------------------------------------------------------------


def test_a_plugin_still_takes_over_and_keeps_its_order(
    api_client: Any, isolated_plugins: Any
) -> None:
    first = ProductFactory(name="Alpha")
    second = ProductFactory(name="Beta")

    class Engine:
        @hookimpl
        def search_products(self, queryset: Any, query: str) -> Any:
            return queryset.filter(pk__in=[first.pk, second.pk]).order_by("name")

    isolated_plugins.register(Engine(), name="engine")
    assert _ids(api_client, search="anything") == [first.pk, second.pk]
    assert _ids(api_client, search="anything", ordering="-name") == [second.pk, first.pk]


# --- the migration without privileges ---------------------------------------------------------


@pytest.mark.usefixtures("trigrams")
def test_migration_carries_on_when_pg_trgm_cannot_be_created(
    caplog: pytest.LogCaptureFixture,
) -> None:
    migration = importlib.import_module(
        "ecommerce_kit.catalog.migrations.0003_product_search_vector"
    )

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP EXTENSION pg_trgm CASCADE")
            cursor.execute("CREATE ROLE ek_search_unprivileged")
            cursor.execute("SET LOCAL ROLE ek_search_unprivileged")
        assert migration.enable_trigrams(_Editor()) is False
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == (0,)
        transaction.set_rollback(True)
    assert "pg_trgm extension could not be created" in caplog.text
    search.clear_search_features()
    assert get_search_features().trigram


class _Editor:
    """What the migrations' RunPython functions use of a schema editor."""

    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Any = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or None)


@pytest.mark.usefixtures("trigrams")
def test_migration_0005_swaps_the_search_indexes_both_ways() -> None:
    migration = importlib.import_module(
        "ecommerce_kit.catalog.migrations.0005_variant_and_category_indexes"
    )
    listed = {"ek_product_listed_search", "ek_product_listed_name_trgm"}
    whole = {"ek_product_search", "ek_product_name_trgm"}
    with transaction.atomic():
        migration.whole_table_search_indexes(None, _Editor())
        indexes = _index_definitions()
        assert whole <= set(indexes) and not listed & set(indexes)
        assert "WHERE" not in indexes["ek_product_search"]
        migration.listed_search_indexes(None, _Editor())
        indexes = _index_definitions()
        assert listed <= set(indexes) and not whole & set(indexes)
        # Without pg_trgm, only the full-text index is made.
        with connection.cursor() as cursor:
            cursor.execute("DROP EXTENSION pg_trgm CASCADE")
        migration.whole_table_search_indexes(None, _Editor())
        migration.listed_search_indexes(None, _Editor())
        indexes = _index_definitions()
        assert "ek_product_listed_search" in indexes
        assert not {"ek_product_listed_name_trgm", "ek_product_name_trgm"} & set(indexes)
        transaction.set_rollback(True)
    assert listed <= set(_index_definitions())
