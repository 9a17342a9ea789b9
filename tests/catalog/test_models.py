from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from moneyed import Money

from ecommerce_kit.catalog.models import Category, Product, ProductRating, Store
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_stock_quantity_below_zero_is_rejected_by_the_database() -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_quantity=-1)
    product.refresh_from_db()
    assert product.stock_quantity == 10


def test_stock_quantity_zero_is_allowed() -> None:
    product = ProductFactory(stock_quantity=0)
    product.refresh_from_db()
    assert product.stock_quantity == 0


def test_negative_price_is_rejected_by_the_database() -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(price=Decimal("-0.01"))


def test_product_slug_is_unique() -> None:
    ProductFactory(slug="camisola")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(slug="camisola")


def test_store_slug_is_unique() -> None:
    StoreFactory(slug="loja")
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreFactory(slug="loja")


def test_category_slug_is_unique() -> None:
    CategoryFactory(slug="roupa")
    with pytest.raises(IntegrityError), transaction.atomic():
        CategoryFactory(slug="roupa")


def test_store_is_one_per_owner() -> None:
    store = StoreFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Store.objects.create(owner=store.owner, name="Second", slug="second")


def test_product_cannot_be_its_own_parent() -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(parent=product.pk)


def test_category_cannot_be_its_own_parent() -> None:
    category = CategoryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.filter(pk=category.pk).update(parent=category.pk)


def test_rating_distribution_must_add_up_to_count() -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductRating.objects.create(product=product, count=2, total=9, count_4=1)


def test_price_keeps_amount_and_currency() -> None:
    product = ProductFactory(price=Money("12.50", "USD"))
    product.refresh_from_db()
    assert product.price == Money(Decimal("12.50"), "USD")
    assert product.price_currency == "USD"


def test_variant_points_to_its_group() -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group)
    assert list(group.variants.all()) == [variant]
    assert variant.store == group.store and variant.category == group.category


def test_store_is_selling_only_when_active_and_approved() -> None:
    assert StoreFactory().is_selling
    assert not StoreFactory(is_approved=False).is_selling
    assert not StoreFactory(is_active=False).is_selling
