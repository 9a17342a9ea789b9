from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import override_settings
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.catalog.models import Product
from tests.catalog.helpers import products_url
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _ids(api_client: Any, **params: Any) -> set[int]:
    response = api_client.get(products_url(), params)
    assert response.status_code == 200, response.json()
    body = response.json()
    ids = [p["id"] for p in body["results"]]
    assert len(ids) == len(set(ids)) == body["count"], "rows must not repeat"
    return set(ids)


def _bad(api_client: Any, **params: Any) -> dict[str, Any]:
    response = api_client.get(products_url(), params)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and body["status_code"] == 400
    return body["fields"]


# --- search -----------------------------------------------------------------------------------


def test_search_matches_name_and_description_case_insensitively(api_client: Any) -> None:
    by_name = ProductFactory(name="Camisola Azul", description="")
    by_description = ProductFactory(name="Casaco", description="Cor AZUL-marinho")
    ProductFactory(name="Calças", description="Pretas")
    assert _ids(api_client, search="azul") == {by_name.pk, by_description.pk}
    assert _ids(api_client, search="  AZUL ") == {by_name.pk, by_description.pk}


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL searches words (test_search_postgres)"
)
def test_search_elsewhere_is_a_substring_match_newest_first(api_client: Any) -> None:
    older = ProductFactory(name="Sapatos", description="")
    newer = ProductFactory(name="Casaco", description="Combina com sapatilhas")
    ProductFactory(name="Chapéu", description="")
    response = api_client.get(products_url(), {"search": "SAPAT"})
    assert [p["id"] for p in response.json()["results"]] == [newer.pk, older.pk]


def test_search_blank_is_ignored(api_client: Any) -> None:
    products = {ProductFactory().pk, ProductFactory().pk}
    assert _ids(api_client, search="") == products
    assert _ids(api_client, search="   ") == products


def test_search_too_long_is_400(api_client: Any) -> None:
    assert "search" in _bad(api_client, search="x" * 201)


def test_search_uses_a_plugin_when_one_answers(api_client: Any, isolated_plugins: Any) -> None:
    wanted = ProductFactory(name="Sem relação")
    ProductFactory(name="Camisola")
    seen: list[str] = []

    class SearchPlugin:
        @hookimpl
        def search_products(self, queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
            seen.append(query)
            return queryset.filter(pk=wanted.pk)

    isolated_plugins.register(SearchPlugin(), name="test-search")
    assert _ids(api_client, search=" camisola ") == {wanted.pk}
    assert seen == ["camisola"]


def test_search_falls_back_when_the_plugin_returns_none(
    api_client: Any, isolated_plugins: Any
) -> None:
    match = ProductFactory(name="Camisola")
    ProductFactory(name="Calças")

    class Abstains:
        @hookimpl
        def search_products(self, queryset: QuerySet[Product], query: str) -> None:
            return None

    isolated_plugins.register(Abstains(), name="test-abstains")
    assert _ids(api_client, search="camisola") == {match.pk}


def test_search_plugin_sees_the_other_filters_applied(
    api_client: Any, isolated_plugins: Any
) -> None:
    cheap = ProductFactory(price=Money("10", "AOA"))
    ProductFactory(price=Money("500", "AOA"))

    class ReturnsAll:
        @hookimpl
        def search_products(self, queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
            return queryset

    isolated_plugins.register(ReturnsAll(), name="test-all")
    assert _ids(api_client, search="anything", max_price="100") == {cheap.pk}


# --- category ---------------------------------------------------------------------------------


def test_category_includes_all_descendants(api_client: Any) -> None:
    root = CategoryFactory(slug="casa")
    child = CategoryFactory(slug="cozinha", parent=root)
    grandchild = CategoryFactory(slug="talheres", parent=child)
    other = CategoryFactory(slug="jardim")
    in_root = ProductFactory(category=root)
    in_child = ProductFactory(category=child)
    in_grandchild = ProductFactory(category=grandchild)
    ProductFactory(category=other)
    assert _ids(api_client, category="casa") == {in_root.pk, in_child.pk, in_grandchild.pk}
    assert _ids(api_client, category="cozinha") == {in_child.pk, in_grandchild.pk}
    assert _ids(api_client, category="talheres") == {in_grandchild.pk}


@pytest.mark.parametrize("slug", ["nope", "inactive"])
def test_category_unknown_or_inactive_is_400(api_client: Any, slug: str) -> None:
    CategoryFactory(slug="inactive", is_active=False)
    assert "category" in _bad(api_client, category=slug)


# --- store ------------------------------------------------------------------------------------


def test_store_filters_by_slug(api_client: Any) -> None:
    store = StoreFactory(slug="loja-a")
    mine = ProductFactory(store=store)
    ProductFactory(store=StoreFactory(slug="loja-b"))
    assert _ids(api_client, store="loja-a") == {mine.pk}


@pytest.mark.parametrize("slug", ["nope", "pending"])
def test_store_unknown_or_not_selling_is_400(api_client: Any, slug: str) -> None:
    StoreFactory(slug="pending", is_approved=False)
    assert "store" in _bad(api_client, store=slug)


# --- price ------------------------------------------------------------------------------------


def test_min_and_max_price_bound_standalone_products(api_client: Any) -> None:
    cheap = ProductFactory(price=Money("100", "AOA"))
    middle = ProductFactory(price=Money("500", "AOA"))
    dear = ProductFactory(price=Money("900.50", "AOA"))
    assert _ids(api_client, min_price="500") == {middle.pk, dear.pk}
    assert _ids(api_client, max_price="500") == {cheap.pk, middle.pk}
    assert _ids(api_client, min_price="100.01", max_price="900.5") == {middle.pk, dear.pk}
    assert _ids(api_client, min_price="0") == {cheap.pk, middle.pk, dear.pk}


def test_price_matches_a_group_through_any_active_variant(api_client: Any) -> None:
    group = ProductFactory(price=Money("5000", "AOA"))
    VariantFactory(parent=group, price=Money("100", "AOA"))
    VariantFactory(parent=group, price=Money("300", "AOA"))
    VariantFactory(parent=group, price=Money("50", "AOA"), is_active=False)
    assert _ids(api_client, max_price="150") == {group.pk}
    assert _ids(api_client, min_price="250", max_price="350") == {group.pk}
    assert _ids(api_client, max_price="60") == set()  # only the inactive variant
    assert _ids(api_client, min_price="4000") == set()  # the group's own price is not used


def test_price_of_a_group_needs_one_variant_within_both_bounds(api_client: Any) -> None:
    group = ProductFactory()
    VariantFactory(parent=group, price=Money("100", "AOA"))
    VariantFactory(parent=group, price=Money("300", "AOA"))
    assert _ids(api_client, min_price="150", max_price="250") == set()


@pytest.mark.parametrize("value", ["abc", "-1", "NaN", "Infinity", "1e", "1,5", "1" * 30])
@pytest.mark.parametrize("param", ["min_price", "max_price"])
def test_bad_price_is_400(api_client: Any, param: str, value: str) -> None:
    assert param in _bad(api_client, **{param: value})


def test_min_price_above_max_price_is_400(api_client: Any) -> None:
    assert "max_price" in _bad(api_client, min_price="10", max_price="5")


# --- in_stock ---------------------------------------------------------------------------------


def test_in_stock_filters_standalone_products(api_client: Any) -> None:
    stocked = ProductFactory(stock_quantity=1)
    empty = ProductFactory(stock_quantity=0)
    assert _ids(api_client, in_stock="true") == {stocked.pk}
    assert _ids(api_client, in_stock="false") == {empty.pk}
    assert _ids(api_client, in_stock="TRUE") == {stocked.pk}


def test_in_stock_looks_at_a_groups_active_variants(api_client: Any) -> None:
    stocked_group = ProductFactory(stock_quantity=0)
    VariantFactory(parent=stocked_group, stock_quantity=0)
    VariantFactory(parent=stocked_group, stock_quantity=3)
    empty_group = ProductFactory(stock_quantity=50)
    VariantFactory(parent=empty_group, stock_quantity=0)
    VariantFactory(parent=empty_group, stock_quantity=9, is_active=False)
    assert _ids(api_client, in_stock="true") == {stocked_group.pk}
    assert _ids(api_client, in_stock="false") == {empty_group.pk}


def test_in_stock_and_price_must_hold_for_the_same_variant(api_client: Any) -> None:
    group = ProductFactory()
    VariantFactory(parent=group, price=Money("100", "AOA"), stock_quantity=0)
    VariantFactory(parent=group, price=Money("900", "AOA"), stock_quantity=5)
    assert _ids(api_client, in_stock="true", max_price="500") == set()
    assert _ids(api_client, in_stock="true", min_price="500") == {group.pk}


@pytest.mark.parametrize("value", ["yes", "1", "0", "on", "maybe", "truee"])
def test_in_stock_must_be_true_or_false(api_client: Any, value: str) -> None:
    assert "in_stock" in _bad(api_client, in_stock=value)


# --- currency ---------------------------------------------------------------------------------


def test_currency_filters_products_and_groups(api_client: Any) -> None:
    kwanza = ProductFactory(price=Money("100", "AOA"))
    dollar = ProductFactory(price=Money("10", "USD"))
    group = ProductFactory(price=Money("100", "AOA"))
    VariantFactory(parent=group, price=Money("12", "EUR"))
    assert _ids(api_client, currency="AOA") == {kwanza.pk}
    assert _ids(api_client, currency="USD") == {dollar.pk}
    assert _ids(api_client, currency="EUR") == {group.pk}


def test_currency_and_price_combine(api_client: Any) -> None:
    ProductFactory(price=Money("100", "AOA"))
    dollar = ProductFactory(price=Money("100", "USD"))
    assert _ids(api_client, currency="USD", min_price="50") == {dollar.pk}


@pytest.mark.parametrize("value", ["GBP", "usd", "XXX", "DOLLAR"])
def test_currency_outside_currencies_is_400(api_client: Any, value: str) -> None:
    assert "currency" in _bad(api_client, currency=value)


@override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", "GBP"]})
def test_currency_follows_the_setting(api_client: Any) -> None:
    pound = ProductFactory(price=Money(Decimal("5"), "GBP"))
    assert _ids(api_client, currency="GBP") == {pound.pk}
    assert "currency" in _bad(api_client, currency="USD")


# --- combined and ignored ---------------------------------------------------------------------


def test_several_errors_are_reported_together(api_client: Any) -> None:
    fields = _bad(
        api_client,
        min_price="x",
        in_stock="x",
        currency="x",
        ordering="x",
        category="nope",
        store="nope",
    )
    assert set(fields) == {"min_price", "in_stock", "currency", "ordering", "category", "store"}


def test_unknown_parameters_are_ignored(api_client: Any) -> None:
    product = ProductFactory()
    assert _ids(api_client, colour="red") == {product.pk}


def test_filters_do_not_apply_to_the_detail(api_client: Any) -> None:
    product = ProductFactory()
    response = api_client.get(f"{products_url()}{product.pk}/", {"ordering": "bad"})
    assert response.status_code == 200
