"""``python manage.py seed_demo``: demo users, a store, a category tree and a few hundred products.

Idempotent: every object is looked up by its unique username or slug first, so running the command
again creates nothing new and changes nothing that exists.
"""

from __future__ import annotations

import itertools
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from moneyed import Money

from demo.data import TREE, VARIANT_GROUPS, Leaf, VariantGroup
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.catalog.services import refresh_listing_prices
from ecommerce_kit.conf import kit_settings

#: username, password, role; printed at the end of every run.
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "demo-admin-pass", "staff"),
    ("seller", "demo-seller-pass", "seller"),
    ("buyer", "demo-buyer-pass", "buyer"),
)
STORE_NAME = "Mercado Kwanza"
STORE_SLUG = "mercado-kwanza"
CURRENCY = "AOA"
SEED = 2024


class Command(BaseCommand):
    help = (
        "Create demo users (staff, seller, buyer), an approved store, a category tree and a few "
        "hundred products priced in AOA. Safe to run again: existing objects are kept as they are."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = {
                role: self._user(username, password, role)
                for username, password, role in DEMO_USERS
            }
            store = self._store(owner=users["seller"], approved_by=users["staff"])
            categories = self._categories()
            created = self._products(store=store, categories=categories)
        self._report(created)

    # --- users and store ------------------------------------------------------------------------

    def _user(self, username: str, password: str, role: str) -> AbstractUser:
        model = get_user_model()
        user = model.objects.filter(username=username).first()
        if user is None:
            user = model(
                username=username,
                email=f"{username}@demo.example",
                is_staff=role == "staff",
                is_superuser=role == "staff",
            )
            user.set_password(password)
            user.save()
        return user  # type: ignore[return-value]

    def _store(self, *, owner: AbstractUser, approved_by: AbstractUser) -> Store:
        store = Store.objects.filter(owner=owner).first()
        if store is None:
            store = Store.objects.create(
                owner=owner,
                name=STORE_NAME,
                slug=STORE_SLUG,
                description="Loja de demonstração: electrónica, moda, casa, mercearia e mais.",
                is_approved=True,
                approved_at=timezone.now(),
                approved_by=approved_by,
            )
        return store

    # --- categories -----------------------------------------------------------------------------

    def _categories(self) -> dict[str, Category]:
        """Create the tree (roots first, then children) and return every category by name."""
        roots = [
            Category(name=name, slug=slugify(name), description=description)
            for name, description, _leaves in TREE
        ]
        self._bulk_create_missing(Category, roots)
        by_slug = {c.slug: c for c in Category.objects.filter(slug__in=[r.slug for r in roots])}
        children = [
            Category(
                name=leaf.name,
                slug=slugify(leaf.name),
                parent=by_slug[slugify(name)],
                description=leaf.blurb,
            )
            for name, _description, leaves in TREE
            for leaf in leaves
        ]
        self._bulk_create_missing(Category, children)
        slugs = [c.slug for c in roots + children]
        return {c.name: c for c in Category.objects.filter(slug__in=slugs)}

    # --- products -------------------------------------------------------------------------------

    def _products(self, *, store: Store, categories: dict[str, Category]) -> int:
        rng = random.Random(SEED)
        standalone = [
            self._product(store, categories[leaf.name], name, price, rng, leaf)
            for _root, _description, leaves in TREE
            for leaf in leaves
            for name, price in self._lines(leaf)
        ]
        groups = [self._group(store, categories[group.category], group) for group in VARIANT_GROUPS]
        created = self._bulk_create_missing(Product, standalone + groups)
        group_ids = dict(
            Product.objects.filter(slug__in=[g.slug for g in groups]).values_list("slug", "id")
        )
        variants = [
            variant
            for group in VARIANT_GROUPS
            for variant in self._variants(
                store, categories[group.category], group, group_ids[slugify(group.name)], rng
            )
        ]
        created += self._bulk_create_missing(Product, variants)
        # bulk_create() bypasses Product.save(): the groups' listing prices come from their
        # variants, which were inserted after them.
        refresh_listing_prices(ids=group_ids.values())
        return created

    @staticmethod
    def _lines(leaf: Leaf) -> list[tuple[str, Decimal]]:
        return [
            (f"{base} {modifier}", Decimal(price) * Decimal(str(factor)))
            for (base, price), (modifier, factor) in itertools.product(leaf.bases, leaf.modifiers)
        ]

    @staticmethod
    def _price(amount: Decimal, rng: random.Random) -> Money:
        """Round to a shop-like price: within 5% of ``amount``, ending in 50 kwanzas (or ,50)."""
        amount *= Decimal(rng.randint(95, 105)) / 100
        step = Decimal(100) if amount >= 1000 else Decimal(10)
        rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
        return Money(max(rounded - step / 2, step / 2).quantize(Decimal("0.01")), CURRENCY)

    @staticmethod
    def _stock(rng: random.Random) -> int:
        return 0 if rng.random() < 0.06 else rng.randint(1, 120)

    def _product(
        self,
        store: Store,
        category: Category,
        name: str,
        price: Decimal,
        rng: random.Random,
        leaf: Leaf,
    ) -> Product:
        return Product(
            store=store,
            category=category,
            name=name,
            slug=slugify(name),
            description=f"{name}. {leaf.blurb} Entrega em todo o país.",
            price=self._price(price, rng),
            stock_quantity=self._stock(rng),
        )

    def _group(self, store: Store, category: Category, group: VariantGroup) -> Product:
        # A group is not bought itself: its price is the lowest of its variants, its stock is 0.
        return Product(
            store=store,
            category=category,
            name=group.name,
            slug=slugify(group.name),
            description=group.description,
            price=Money(Decimal(group.price), CURRENCY),
            stock_quantity=0,
        )

    def _variants(
        self,
        store: Store,
        category: Category,
        group: VariantGroup,
        parent_id: int,
        rng: random.Random,
    ) -> list[Product]:
        axes = list(group.axes.items())
        variants = []
        for values in itertools.product(*(options for _axis, options in axes)):
            attributes = {axis: value for (axis, _options), value in zip(axes, values, strict=True)}
            surcharge = sum(group.surcharges.get(value, 0) for value in values)
            label = ", ".join(values)
            variants.append(
                Product(
                    store=store,
                    category=category,
                    parent_id=parent_id,
                    name=f"{group.name} ({label})",
                    slug=slugify(f"{group.name} {label}"),
                    description=group.description,
                    attributes=attributes,
                    price=Money(Decimal(group.price + surcharge), CURRENCY),
                    stock_quantity=self._stock(rng),
                )
            )
        return variants

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _bulk_create_missing(model: type[Category] | type[Product], objects: list[Any]) -> int:
        """Insert the objects whose slug does not exist yet; return how many were inserted."""
        existing = set(
            model.objects.filter(slug__in=[o.slug for o in objects]).values_list("slug", flat=True)
        )
        missing = [o for o in objects if o.slug not in existing]
        model.objects.bulk_create(missing, batch_size=500)
        return len(missing)

    def _report(self, created: int) -> None:
        total = Product.objects.filter(store__slug=STORE_SLUG).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Category.objects.count()} categories, {total} products in "
                f"{STORE_NAME!r} ({created} new)."
            )
        )
        self.stdout.write("Demo logins (username / password):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role:<7} {username} / {password}")
        owner = Store.objects.select_related("owner").get(slug=STORE_SLUG).owner
        self.stdout.write(
            f"{owner.get_username()!r} owns the store {STORE_NAME!r} ({STORE_SLUG}): sign in as "
            f"{owner.get_username()!r} to add products and fulfil its orders."
        )
        dummy = kit_settings.PAYMENT_GATEWAYS.get("dummy")
        if dummy is not None:
            # The test gateway's secret, so that webhooks can be signed by hand (docs/payments.md).
            secret = dummy.get("webhook_secret") if settings.DEBUG else "(hidden: DEBUG is off)"
            self.stdout.write(
                f"Dummy gateway webhook secret: {secret} (set DUMMY_GATEWAY_WEBHOOK_SECRET to "
                "change it)."
            )
