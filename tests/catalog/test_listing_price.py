"""Every write path keeps a product's stored listing prices exact.

``listing_price`` / ``listing_price_max`` are the lowest / highest price amount of a product's
active variants, or its own price amount when it has none. Each test writes through one path
and compares every product's stored values with that definition computed in Python from the
rows (:func:`assert_exact`).
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from moneyed import Money

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Product, Store
from tests.catalog.helpers import product_url, products_url
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def expected_prices() -> dict[int, tuple[Decimal, Decimal]]:
    """The definition, in Python, from the rows."""
    rows = list(Product.objects.values("pk", "parent_id", "price", "is_active"))
    active_variant_prices: dict[int, list[Decimal]] = {}
    for row in rows:
        if row["parent_id"] is not None and row["is_active"]:
            active_variant_prices.setdefault(row["parent_id"], []).append(row["price"])
    expected = {}
    for row in rows:
        prices = active_variant_prices.get(row["pk"])
        expected[row["pk"]] = (min(prices), max(prices)) if prices else (row["price"],) * 2
    return expected


def stored_prices() -> dict[int, tuple[Decimal, Decimal]]:
    return {
        pk: (low, high)
        for pk, low, high in Product.objects.values_list("pk", "listing_price", "listing_price_max")
    }


def assert_exact() -> None:
    assert stored_prices() == expected_prices()


def aoa(amount: str) -> Money:
    return Money(Decimal(amount), "AOA")


def listing(product: Product) -> tuple[Decimal, Decimal]:
    row = Product.objects.values_list("listing_price", "listing_price_max").get(pk=product.pk)
    return (row[0], row[1])


# --- Product.save() (factories, admin, services) -------------------------------------------


def test_a_new_standalone_product_lists_at_its_own_price() -> None:
    product = ProductFactory(price=aoa("1234.50"))
    assert listing(product) == (Decimal("1234.50"), Decimal("1234.50"))
    # In memory too, without reading the row again.
    assert product.listing_price == Decimal("1234.50")
    assert_exact()


def test_creating_a_standalone_product_adds_no_statement() -> None:
    store, category = StoreFactory(), CategoryFactory()
    with CaptureQueriesContext(connection) as insert:
        Product.objects.create(store=store, category=category, name="A", slug="a", price=aoa("10"))
    assert [q["sql"].split()[0] for q in insert.captured_queries] == ["INSERT"]


def test_variants_set_their_groups_lowest_and_highest_active_price() -> None:
    group = ProductFactory(price=aoa("9999"))
    VariantFactory(parent=group, price=aoa("300"))
    VariantFactory(parent=group, price=aoa("100"))
    VariantFactory(parent=group, price=aoa("50"), is_active=False)
    assert listing(group) == (Decimal("100.00"), Decimal("300.00"))
    assert_exact()


def test_a_saved_group_reads_its_refreshed_listing_price_again() -> None:
    group = ProductFactory(price=aoa("9999"))
    variant = VariantFactory(parent=group, price=aoa("300"))
    variant.price = aoa("250")
    variant.save()
    group.name = "Renamed"
    group.save()  # writes its stale in-memory values, then refreshes the row
    assert listing(group) == (Decimal("250.00"), Decimal("250.00"))
    assert group.listing_price == Decimal("250.00")  # deferred, read from the row
    assert_exact()


def test_saving_only_the_stock_adds_no_statement() -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group, price=aoa("300"))
    variant.stock_quantity = 3
    with CaptureQueriesContext(connection) as saved:
        variant.save(update_fields=["stock_quantity"])
    assert len(saved.captured_queries) == 1
    assert_exact()


@pytest.mark.parametrize(
    "update_fields", [None, ["price", "price_currency"], ["is_active"], ["parent"]]
)
def test_saving_a_listing_input_adds_one_update(update_fields: list[str] | None) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group, price=aoa("300"))
    variant.price = aoa("310")
    with CaptureQueriesContext(connection) as saved:
        variant.save(update_fields=update_fields)
    assert [q["sql"].split()[0] for q in saved.captured_queries] == ["UPDATE", "UPDATE"]


def test_moving_a_variant_refreshes_both_groups() -> None:
    first = ProductFactory(price=aoa("1000"))
    second = ProductFactory(price=aoa("2000"), store=first.store, category=first.category)
    VariantFactory(parent=first, price=aoa("100"))
    moving = Product.objects.get(pk=VariantFactory(parent=first, price=aoa("50")).pk)
    VariantFactory(parent=second, price=aoa("700"))
    assert listing(first) == (Decimal("50.00"), Decimal("100.00"))
    moving.parent = second
    moving.save()
    assert listing(first) == (Decimal("100.00"), Decimal("100.00"))
    assert listing(second) == (Decimal("50.00"), Decimal("700.00"))
    assert_exact()


def test_deleting_a_variant_refreshes_its_group() -> None:
    group = ProductFactory(price=aoa("1000"))
    VariantFactory(parent=group, price=aoa("400"))
    cheapest = VariantFactory(parent=group, price=aoa("100"))
    cheapest.delete()
    assert listing(group) == (Decimal("400.00"), Decimal("400.00"))
    Product.objects.filter(parent=group).delete()  # a queryset delete sends the signals too
    assert listing(group) == (Decimal("1000.00"), Decimal("1000.00"))
    assert_exact()


# --- The catalog's services ------------------------------------------------------------------


@pytest.fixture
def seller_store(db: Any) -> Store:
    return StoreFactory()


def test_create_variant_through_the_service(seller_store: Store) -> None:
    seller = seller_store.owner
    group = services.create_product(
        seller=seller, name="Camisola", price=aoa("5000"), category=CategoryFactory()
    )
    assert listing(group) == (Decimal("5000.00"), Decimal("5000.00"))
    services.create_product(seller=seller, name="Camisola M", price=aoa("4500"), parent=group)
    services.create_product(seller=seller, name="Camisola G", price=aoa("5500"), parent=group)
    assert listing(group) == (Decimal("4500.00"), Decimal("5500.00"))
    assert_exact()


def test_change_a_variants_price_through_the_service(seller_store: Store) -> None:
    group = ProductFactory(store=seller_store, price=aoa("5000"))
    variant = VariantFactory(parent=group, price=aoa("4500"))
    VariantFactory(parent=group, price=aoa("5500"))
    services.update_product(product=variant, actor=seller_store.owner, price=aoa("6000"))
    assert listing(group) == (Decimal("5500.00"), Decimal("6000.00"))
    # A change that touches no price leaves them as they are, with no extra statement.
    with CaptureQueriesContext(connection) as renamed:
        services.update_product(product=variant, actor=seller_store.owner, name="Renamed")
    assert not any("listing_price" in q["sql"] for q in renamed.captured_queries[2:])
    assert_exact()


def test_change_a_groups_own_price_through_the_service(seller_store: Store) -> None:
    group = ProductFactory(store=seller_store, price=aoa("5000"))
    services.update_product(product=group, actor=seller_store.owner, price=aoa("4000"))
    assert listing(group) == (Decimal("4000.00"), Decimal("4000.00"))
    VariantFactory(parent=group, price=aoa("4500"))
    services.update_product(product=group, actor=seller_store.owner, price=aoa("3000"))
    assert listing(group) == (Decimal("4500.00"), Decimal("4500.00"))  # variants decide
    assert_exact()


def test_deactivate_a_variant_through_the_service(seller_store: Store) -> None:
    group = ProductFactory(store=seller_store, price=aoa("5000"))
    cheapest = VariantFactory(parent=group, price=aoa("100"))
    VariantFactory(parent=group, price=aoa("200"))
    services.soft_delete_product(product=cheapest, actor=seller_store.owner)
    assert listing(group) == (Decimal("200.00"), Decimal("200.00"))
    assert_exact()


def test_soft_delete_a_group_through_the_service(seller_store: Store) -> None:
    group = ProductFactory(store=seller_store, price=aoa("5000"))
    VariantFactory(parent=group, price=aoa("100"))
    VariantFactory(parent=group, price=aoa("200"))
    services.soft_delete_product(product=group, actor=seller_store.owner)
    # Its variants are inactive now: the group falls back to its own price.
    assert listing(group) == (Decimal("5000.00"), Decimal("5000.00"))
    assert_exact()


def test_soft_delete_of_an_inactive_group_with_active_variants(seller_store: Store) -> None:
    group = ProductFactory(store=seller_store, price=aoa("5000"))
    VariantFactory(parent=group, price=aoa("100"))
    Product.objects.filter(pk=group.pk).update(is_active=False)  # e.g. an older release
    services.soft_delete_product(product=group, actor=seller_store.owner)
    assert listing(group) == (Decimal("5000.00"), Decimal("5000.00"))
    assert_exact()


# --- The admin --------------------------------------------------------------------------------


def _admin_form(product: Product, **changes: str) -> dict[str, str]:
    data = {
        "store": str(product.store_id),
        "category": str(product.category_id),
        "parent": "" if product.parent_id is None else str(product.parent_id),
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "price_currency": "AOA",
        "price_0": str(product.price.amount),
        "price_1": "AOA",
        "stock_quantity": str(product.stock_quantity),
        "attributes": "{}",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "0",
        "_save": "Save",
    }
    if product.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def test_admin_change_of_a_variant(admin_client: Client) -> None:
    group = ProductFactory(price=aoa("5000"))
    variant = VariantFactory(parent=group, price=aoa("4500"))
    url = reverse("admin:ecommerce_kit_catalog_product_change", args=[variant.pk])
    page = admin_client.get(url).content.decode()
    assert "listing_price" not in page  # not editable, not shown
    response = admin_client.post(url, _admin_form(variant, price_0="3999.99"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert listing(group) == (Decimal("3999.99"), Decimal("3999.99"))
    response = admin_client.post(url, _admin_form(variant, price_0="3999.99", is_active=""))
    assert response.status_code == 302
    assert listing(group) == (Decimal("5000.00"), Decimal("5000.00"))
    assert_exact()


# --- Bulk writes, the service and the command --------------------------------------------------


def _bulk_import() -> Product:
    """Standalone products and a group with variants inserted with bulk_create()."""
    store, category = StoreFactory(), CategoryFactory()

    def new(slug: str, amount: str, parent: Product | None = None, **extra: Any) -> Product:
        return Product(
            store=store,
            category=category,
            parent=parent,
            name=slug,
            slug=slug,
            price=aoa(amount),
            **extra,
        )

    standalone = [new(f"bulk-{n}", f"{100 + n}") for n in range(5)]
    group = new("bulk-group", "9000")
    Product.objects.bulk_create([*standalone, group])
    Product.objects.bulk_create(
        [
            new("bulk-group-s", "700", group),
            new("bulk-group-m", "800", group),
            new("bulk-group-l", "10", group, is_active=False),
        ]
    )
    return group


def test_bulk_create_lists_new_products_at_their_own_price() -> None:
    group = _bulk_import()
    expected, stored = expected_prices(), stored_prices()
    drifted = {pk for pk in expected if expected[pk] != stored[pk]}
    assert drifted == {group.pk}  # only the group, whose variants came after it
    assert stored[group.pk] == (Decimal("9000.00"), Decimal("9000.00"))


def test_refresh_listing_prices_fixes_what_bulk_writes_left() -> None:
    group = _bulk_import()
    assert services.refresh_listing_prices(ids=[group.pk]) == 1
    assert listing(group) == (Decimal("700.00"), Decimal("800.00"))
    Product.objects.filter(parent=group, price=aoa("800")).update(price=aoa("850"))
    Product.objects.filter(slug="bulk-0").update(price=aoa("1"))
    # Every product is compared; only the drifted are written: the variant (its own price),
    # its group (the highest variant price) and the standalone product.
    assert services.refresh_listing_prices() == 3
    assert services.refresh_listing_prices() == 0
    assert_exact()


def test_find_listing_price_drifts() -> None:
    group = _bulk_import()
    assert services.find_listing_price_drifts() == [
        services.ListingPriceDrift(
            group.pk,
            stored=(Decimal("9000.00"), Decimal("9000.00")),
            expected=(Decimal("700.00"), Decimal("800.00")),
        )
    ]


def test_command_check_lists_drift_and_exits_non_zero_then_fixes_it() -> None:
    group = _bulk_import()
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("refresh_listing_prices", "--check", stdout=out)
    assert excinfo.value.returncode == 1
    assert "1 product listing price(s) had drifted" in str(excinfo.value)
    assert out.getvalue().splitlines() == [
        f"Product {group.pk}: stored listing_price=9000.00 listing_price_max=9000.00; "
        "from its rows listing_price=700.00 listing_price_max=800.00"
    ]
    assert listing(group) == (Decimal("9000.00"), Decimal("9000.00"))  # --check changes nothing

    out = StringIO()
    call_command("refresh_listing_prices", stdout=out)
    assert "Fixed 1 drifted product listing price(s)." in out.getvalue()
    assert_exact()

    out = StringIO()
    call_command("refresh_listing_prices", "--check", stdout=out)
    assert "Every product's listing price matches its rows." in out.getvalue()


# --- The API never shows them -------------------------------------------------------------------


def test_listing_prices_are_not_in_the_api(api_client: Any) -> None:
    group = ProductFactory()
    VariantFactory(parent=group)
    listed = api_client.get(products_url()).json()["results"][0]
    detail = api_client.get(product_url(group.pk)).json()
    for payload in (listed, listed["variants"][0], detail):
        assert not any(key.startswith("listing_price") for key in payload)
