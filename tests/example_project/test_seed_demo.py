from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from demo.management.commands.seed_demo import DEMO_USERS, STORE_SLUG, Command
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import override_settings

from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.catalog.selectors import list_available_products
from ecommerce_kit.catalog.services import find_listing_price_drifts

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command(Command(), stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    return {
        "users": sorted(get_user_model().objects.values_list("id", "username", "password")),
        "stores": sorted(Store.objects.values_list("id", "slug", "is_approved")),
        "categories": sorted(Category.objects.values_list("id", "slug", "parent_id")),
        "products": sorted(
            Product.objects.values_list(
                "id", "slug", "price", "stock_quantity", "parent_id", "updated_at"
            )
        ),
    }


def test_seed_demo_creates_users_with_the_printed_credentials():
    output = seed()

    for username, password, role in DEMO_USERS:
        assert f"{username} / {password}" in output
        user = authenticate(username=username, password=password)
        assert user is not None
        assert user.is_staff == (role == "staff")
    store = Store.objects.get(slug=STORE_SLUG)
    assert store.owner.username == "seller"
    assert store.is_approved and store.is_active and store.approved_at is not None
    assert f"'seller' owns the store 'Mercado Kwanza' ({STORE_SLUG})" in output


@override_settings(
    DEBUG=True, ECOMMERCE_KIT={"PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "shh-demo"}}}
)
def test_seed_demo_prints_the_dummy_webhook_secret_in_debug():
    assert "Dummy gateway webhook secret: shh-demo (set DUMMY_GATEWAY_WEBHOOK_SECRET" in seed()


@override_settings(
    DEBUG=False, ECOMMERCE_KIT={"PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "shh-demo"}}}
)
def test_seed_demo_hides_the_webhook_secret_outside_debug():
    output = seed()
    assert "shh-demo" not in output and "Dummy gateway webhook secret: (hidden" in output


def test_seed_demo_creates_a_category_tree():
    seed()

    roots = Category.objects.filter(parent=None)
    assert roots.count() >= 5
    for root in roots:
        assert root.children.count() >= 2
    assert Category.objects.filter(name="Electrónica").exists()  # Portuguese names


def test_seed_demo_creates_a_few_hundred_available_products_in_aoa():
    seed()

    products = Product.objects.all()
    assert products.count() >= 300
    assert set(products.values_list("price_currency", flat=True)) == {"AOA"}
    assert all(p.price.amount > Decimal(0) for p in products)
    assert products.filter(stock_quantity=0).exists()
    assert products.filter(stock_quantity__gt=0).count() > 250
    assert list_available_products().count() == products.count()
    # Every product sits in a leaf category.
    assert not products.filter(category__parent=None).exists()


def test_seed_demo_creates_groups_with_variants():
    seed()

    groups = Product.objects.filter(parent=None, variants__isnull=False).distinct()
    assert groups.count() >= 3
    for group in groups:
        variants = list(group.variants.all())
        assert len(variants) >= 2
        assert all(v.attributes for v in variants)
        assert len({tuple(sorted(v.attributes.items())) for v in variants}) == len(variants)
        assert all(v.store_id == group.store_id for v in variants)
        assert group.price == min(v.price for v in variants)
    assert Product.objects.filter(parent__isnull=False).count() == sum(
        g.variants.count() for g in groups
    )


def test_seed_demo_stores_exact_listing_prices():
    seed()

    assert find_listing_price_drifts() == []
    group = Product.objects.filter(parent=None, variants__isnull=False).distinct().first()
    assert group is not None
    prices = [v.price.amount for v in group.variants.all()]
    assert (group.listing_price, group.listing_price_max) == (min(prices), max(prices))


def test_seed_demo_twice_creates_and_changes_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert snapshot() == before
    assert "(0 new)" in output


def test_seed_demo_keeps_existing_users_untouched():
    user = get_user_model().objects.create_user(username="buyer", password="my-own-password")

    seed()

    user.refresh_from_db()
    assert user.check_password("my-own-password")
    assert get_user_model().objects.filter(username="buyer").count() == 1
