"""factory_boy factories for the catalog, shared by every app's tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from moneyed import Money

from ecommerce_kit.catalog.models import Category, Product, Store


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-1234-secret")


#: The permissions of a "Shop staff" group: see and act on every order, fulfilment and payment.
SHOP_STAFF_PERMISSIONS = (
    "ecommerce_kit_orders.view_order",
    "ecommerce_kit_orders.cancel_order",
    "ecommerce_kit_orders.view_fulfilment",
    "ecommerce_kit_orders.manage_fulfilment",
    "ecommerce_kit_payments.view_payment",
    "ecommerce_kit_payments.refund_payment",
    "ecommerce_kit_payments.capture_payment",
)


def permission(name: str) -> Permission:
    """The :class:`Permission` ``"<app_label>.<codename>"``."""
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


class StaffFactory(UserFactory):
    """A staff user holding no permission: ``StaffFactory(permissions=[...])`` grants some."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def permissions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.user_permissions.add(*(permission(name) for name in extracted))


class ShopStaffFactory(StaffFactory):
    """A staff user holding :data:`SHOP_STAFF_PERMISSIONS` (or the ``permissions`` given)."""

    @factory.post_generation
    def permissions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            names = SHOP_STAFF_PERMISSIONS if extracted is None else extracted
            self.user_permissions.add(*(permission(name) for name in names))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    """An approved, active store (``is_approved=False`` for a pending one)."""

    class Meta:
        model = Store

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    is_approved = True
    approved_at = factory.LazyFunction(timezone.now)


class ProductFactory(factory.django.DjangoModelFactory):
    """A standalone, active product priced in AOA (pass ``price=Money(...)`` to change it)."""

    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A product."
    price = Money(Decimal("1000.00"), "AOA")
    stock_quantity = 10


class VariantFactory(ProductFactory):
    """A variant of ``parent`` (required), in the parent's store and category."""

    store = factory.LazyAttribute(lambda o: o.parent.store)
    category = factory.LazyAttribute(lambda o: o.parent.category)
    attributes = factory.Sequence(lambda n: {"size": f"S{n}"})
