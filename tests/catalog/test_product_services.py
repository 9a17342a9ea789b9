from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractBaseUser
from moneyed import Money

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.exceptions import (
    InvalidInputError,
    NoStoreError,
    PermissionDeniedError,
    StoreInactiveError,
    StoreNotApprovedError,
)
from tests.factories import CategoryFactory, ProductFactory, StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db

PRICE = Money("2500.00", "AOA")


def test_create_product_in_the_sellers_store(
    seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    product = services.create_product(
        seller=seller,
        name="Camisola de Algodão",
        price=PRICE,
        category=category,
        description="Macia",
        stock_quantity=5,
        attributes={"material": "algodão"},
    )
    product.refresh_from_db()
    assert product.store == store and product.category == category
    assert product.slug == "camisola-de-algodao"
    assert product.price == PRICE and product.stock_quantity == 5
    assert product.attributes == {"material": "algodão"}
    assert product.parent is None and product.is_active


def test_create_product_makes_the_slug_unique(seller: AbstractBaseUser, category: Category) -> None:
    first = services.create_product(seller=seller, name="Caneca", price=PRICE, category=category)
    second = services.create_product(seller=seller, name="Caneca", price=PRICE, category=category)
    assert (first.slug, second.slug) == ("caneca", "caneca-2")


def test_create_product_needs_a_store(buyer: AbstractBaseUser, category: Category) -> None:
    with pytest.raises(NoStoreError):
        services.create_product(seller=buyer, name="X", price=PRICE, category=category)
    assert not Product.objects.exists()


def test_create_product_needs_an_approved_store(
    pending_seller: AbstractBaseUser, category: Category
) -> None:
    with pytest.raises(StoreNotApprovedError):
        services.create_product(seller=pending_seller, name="X", price=PRICE, category=category)
    assert not Product.objects.exists()


def test_create_product_needs_an_active_store(
    seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    Store.objects.filter(pk=store.pk).update(is_active=False)
    with pytest.raises(StoreInactiveError):
        services.create_product(seller=seller, name="X", price=PRICE, category=category)


def test_create_product_needs_an_active_category(seller: AbstractBaseUser) -> None:
    hidden = CategoryFactory(is_active=False)
    with pytest.raises(InvalidInputError) as info:
        services.create_product(seller=seller, name="X", price=PRICE, category=hidden)
    assert "category" in info.value.extra["fields"]


@pytest.mark.parametrize(
    "price",
    [
        Money("0", "AOA"),
        Money("-1", "AOA"),
        Money("1.001", "AOA"),
        Money("1", "GBP"),
        Money("1000000000000", "AOA"),
    ],
)
def test_create_product_rejects_bad_prices(
    seller: AbstractBaseUser, category: Category, price: Money
) -> None:
    with pytest.raises(InvalidInputError) as info:
        services.create_product(seller=seller, name="X", price=price, category=category)
    assert "price" in info.value.extra["fields"]


@pytest.mark.parametrize("stock", [-1, True, 2**31, "3"])
def test_create_product_rejects_bad_stock(
    seller: AbstractBaseUser, category: Category, stock: object
) -> None:
    with pytest.raises(InvalidInputError):
        services.create_product(
            seller=seller, name="X", price=PRICE, category=category, stock_quantity=stock
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "attributes", [["size"], {"size": ["M"]}, {"size": None}, {"w": float("nan")}, {"n": {"a": 1}}]
)
def test_create_product_rejects_bad_attributes(
    seller: AbstractBaseUser, category: Category, attributes: object
) -> None:
    with pytest.raises(InvalidInputError):
        services.create_product(
            seller=seller, name="X", price=PRICE, category=category, attributes=attributes
        )  # type: ignore[arg-type]


def test_create_variant_inherits_the_group_category(
    seller: AbstractBaseUser, store: Store, category: Category
) -> None:
    group = ProductFactory(store=store, category=category)
    variant = services.create_product(
        seller=seller, name="Camisola M", price=PRICE, parent=group, attributes={"size": "M"}
    )
    assert variant.parent == group and variant.category == category
    assert variant.store == store


def test_create_variant_accepts_the_parent_id(seller: AbstractBaseUser, store: Store) -> None:
    group = ProductFactory(store=store)
    variant = services.create_product(seller=seller, name="V", price=PRICE, parent=group.pk)
    assert variant.parent_id == group.pk


def test_create_variant_may_choose_another_category(seller: AbstractBaseUser, store: Store) -> None:
    group = ProductFactory(store=store)
    other = CategoryFactory()
    variant = services.create_product(
        seller=seller, name="V", price=PRICE, parent=group, category=other
    )
    assert variant.category == other


@pytest.mark.parametrize("case", ["other_store", "variant", "deleted", "missing"])
def test_create_variant_rejects_a_bad_parent(
    seller: AbstractBaseUser, store: Store, case: str
) -> None:
    if case == "other_store":
        parent_id = ProductFactory().pk
    elif case == "variant":
        parent_id = VariantFactory(parent=ProductFactory(store=store)).pk
    elif case == "deleted":
        parent_id = ProductFactory(store=store, is_active=False).pk
    else:
        parent_id = 999_999
    before = Product.objects.count()
    with pytest.raises(InvalidInputError) as info:
        services.create_product(seller=seller, name="V", price=PRICE, parent=parent_id)
    assert list(info.value.extra["fields"]) == ["parent"]
    assert Product.objects.count() == before


def test_update_product_changes_the_given_fields_only(
    seller: AbstractBaseUser, store: Store
) -> None:
    product = ProductFactory(store=store, name="Old", slug="old", description="Same")
    new_category = CategoryFactory()
    services.update_product(
        product=product,
        actor=seller,
        name="New",
        stock_quantity=0,
        price=Money("99.90", "USD"),
        category=new_category,
        attributes={"colour": "azul"},
    )
    product.refresh_from_db()
    assert product.name == "New" and product.slug == "old"
    assert product.description == "Same"
    assert product.stock_quantity == 0
    assert product.price == Money(Decimal("99.90"), "USD")
    assert product.category == new_category
    assert product.attributes == {"colour": "azul"}


def test_update_product_moves_variants_with_their_group(
    seller: AbstractBaseUser, store: Store
) -> None:
    group = ProductFactory(store=store)
    variant = VariantFactory(parent=group)
    new_category = CategoryFactory()
    services.update_product(product=group, actor=seller, category=new_category)
    variant.refresh_from_db()
    assert variant.category == new_category


def test_update_product_by_staff(store: Store) -> None:
    product = ProductFactory(store=store)
    services.update_product(product=product, actor=StaffFactory(), stock_quantity=3)
    product.refresh_from_db()
    assert product.stock_quantity == 3


def test_update_product_by_another_seller_is_denied(
    other_seller: AbstractBaseUser, store: Store
) -> None:
    product = ProductFactory(store=store)
    with pytest.raises(PermissionDeniedError):
        services.update_product(product=product, actor=other_seller, stock_quantity=0)
    product.refresh_from_db()
    assert product.stock_quantity == 10


@pytest.mark.parametrize("field", ["parent", "slug", "store", "is_active"])
def test_update_product_rejects_fields_that_cannot_change(
    seller: AbstractBaseUser, store: Store, field: str
) -> None:
    product = ProductFactory(store=store)
    with pytest.raises(InvalidInputError) as info:
        services.update_product(product=product, actor=seller, **{field: None})
    assert field in info.value.extra["fields"]


def test_update_product_rejects_an_inactive_category(
    seller: AbstractBaseUser, store: Store
) -> None:
    product = ProductFactory(store=store)
    with pytest.raises(InvalidInputError):
        services.update_product(
            product=product, actor=seller, category=CategoryFactory(is_active=False)
        )


def test_soft_delete_product_keeps_the_row(seller: AbstractBaseUser, store: Store) -> None:
    product = ProductFactory(store=store)
    services.soft_delete_product(product=product, actor=seller)
    product.refresh_from_db()
    assert not product.is_active


def test_soft_delete_of_a_group_deactivates_its_variants(
    seller: AbstractBaseUser, store: Store
) -> None:
    group = ProductFactory(store=store)
    variants = [VariantFactory(parent=group) for _ in range(2)]
    services.soft_delete_product(product=group, actor=seller)
    assert not Product.objects.filter(pk__in=[v.pk for v in variants], is_active=True).exists()


def test_soft_delete_of_a_variant_keeps_the_group(seller: AbstractBaseUser, store: Store) -> None:
    group = ProductFactory(store=store)
    variant = VariantFactory(parent=group)
    services.soft_delete_product(product=variant, actor=seller)
    group.refresh_from_db()
    variant.refresh_from_db()
    assert group.is_active and not variant.is_active


def test_soft_delete_by_another_seller_is_denied(
    other_seller: AbstractBaseUser, store: Store
) -> None:
    product = ProductFactory(store=store)
    with pytest.raises(PermissionDeniedError):
        services.soft_delete_product(product=product, actor=other_seller)
    product.refresh_from_db()
    assert product.is_active
