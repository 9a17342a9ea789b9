"""Every write of the catalog: stores, their approval, and products with their variants.

Services are usable from views, the admin, management commands and a host's own code. They take
keyword arguments, run in their own transaction, and raise errors from
:mod:`ecommerce_kit.exceptions`.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from moneyed import Money

from ecommerce_kit.api.fields import NULL_CHARACTERS_MESSAGE, contains_null_character
from ecommerce_kit.catalog.models import (
    Category,
    Product,
    Store,
    expected_listing_prices,
    refresh_listing_prices_of,
)
from ecommerce_kit.catalog.selectors import can_manage_product
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import (
    InvalidInputError,
    NoStoreError,
    PermissionDeniedError,
    StoreExistsError,
    StoreInactiveError,
    StoreNotApprovedError,
)
from ecommerce_kit.money import MAX_PRICE, decimal_places, storable_currency

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

__all__ = [
    "PRODUCT_UPDATABLE_FIELDS",
    "ListingPriceDrift",
    "approve_store",
    "create_product",
    "create_store",
    "find_listing_price_drifts",
    "get_selling_store",
    "refresh_listing_prices",
    "soft_delete_product",
    "update_product",
]

#: The fields :func:`update_product` may change.
PRODUCT_UPDATABLE_FIELDS = frozenset(
    {"name", "description", "price", "stock_quantity", "category", "attributes"}
)

_M = TypeVar("_M", bound=models.Model)
_SLUG_ATTEMPTS = 5


# --- Slugs -----------------------------------------------------------------------------------


def _slug_base(name: str, *, fallback: str, max_length: int) -> str:
    # Room for a "-<n>" or "-<8 hex>" suffix.
    base = slugify(name)[: max_length - 10].strip("-")
    return base or fallback


def _free_slug(model: type[models.Model], base: str) -> str:
    taken = set(model._default_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _create_with_unique_slug(model: type[_M], base: str, create: Callable[[str], _M]) -> _M:
    """Call ``create(slug)`` with a free slug derived from ``base``, retrying on a race.

    :raises IntegrityError: when the failure was not about the slug.
    """
    for attempt in range(_SLUG_ATTEMPTS):
        slug = (
            _free_slug(model, base)
            if attempt < _SLUG_ATTEMPTS - 1
            else (f"{base}-{secrets.token_hex(4)}")
        )
        try:
            with transaction.atomic():
                return create(slug)
        except IntegrityError:
            if not model._default_manager.filter(slug=slug).exists():
                raise
    raise IntegrityError(f"Could not find a free slug for {base!r}.")


# --- Stores ----------------------------------------------------------------------------------


def create_store(*, owner: AbstractBaseUser, name: str, description: str = "") -> Store:
    """Open a store for ``owner``; it sells only once staff approve it.

    The slug is derived from ``name`` and made unique.

    :raises StoreExistsError: when ``owner`` already has a store (one store per user).
    """
    name = name.strip()
    if not name:
        raise InvalidInputError(fields={"name": [_("This field may not be blank.")]})
    base = _slug_base(
        name, fallback="store", max_length=Store._meta.get_field("slug").max_length or 50
    )
    with transaction.atomic():
        if Store.objects.filter(owner_id=owner.pk).exists():
            raise StoreExistsError()
        try:
            return _create_with_unique_slug(
                Store,
                base,
                lambda slug: Store.objects.create(
                    owner_id=owner.pk,
                    name=name,
                    slug=slug,
                    description=description,
                ),
            )
        except IntegrityError:
            # The other unique column: a concurrent request created this owner's store.
            if Store.objects.filter(owner_id=owner.pk).exists():
                raise StoreExistsError() from None
            raise


def approve_store(*, store: Store, actor: AbstractBaseUser) -> Store:
    """Approve ``store`` so that its products are listed and sold.

    Idempotent: approving an approved store changes nothing (``approved_at`` and
    ``approved_by`` keep their first values).

    :param actor: The staff user approving it.
    :raises PermissionDeniedError: when ``actor`` is not staff.
    :returns: The store, as saved.
    """
    if not getattr(actor, "is_staff", False):
        raise PermissionDeniedError()
    with transaction.atomic():
        locked = Store.objects.select_for_update().get(pk=store.pk)
        if not locked.is_approved:
            locked.is_approved = True
            locked.approved_at = timezone.now()
            locked.approved_by = actor  # type: ignore[assignment]
            locked.save(update_fields=["is_approved", "approved_at", "approved_by", "updated_at"])
    return locked


# --- Products --------------------------------------------------------------------------------


def get_selling_store(user: AbstractBaseUser) -> Store:
    """Return the store through which ``user`` may create products.

    :raises NoStoreError: when ``user`` has no store.
    :raises StoreNotApprovedError: when the store is still waiting for approval.
    :raises StoreInactiveError: when staff deactivated the store.
    """
    store = Store.objects.filter(owner_id=user.pk).first()
    if store is None:
        raise NoStoreError()
    if not store.is_approved:
        raise StoreNotApprovedError()
    if not store.is_active:
        raise StoreInactiveError()
    return store


def _check_category(category: Category | None) -> Category:
    if category is None:
        raise InvalidInputError(fields={"category": [_("This field is required.")]})
    if not Category.objects.filter(pk=category.pk, is_active=True).exists():
        raise InvalidInputError(fields={"category": [_("Choose an active category.")]})
    return category


_MAX_STOCK = 2**31 - 1


def _check_price(price: Any) -> Money:
    if not isinstance(price, Money) or not price.amount.is_finite() or price.amount <= 0:
        raise InvalidInputError(fields={"price": [_("Ensure this amount is greater than zero.")]})
    currency = str(price.currency)
    if currency not in kit_settings.CURRENCIES or not storable_currency(currency):
        raise InvalidInputError(fields={"price": [_("Unsupported currency.")]})
    if price.amount > MAX_PRICE:  # before quantize(), which a huge amount would overflow
        raise InvalidInputError(
            fields={
                "price": [
                    _("Ensure this amount is less than or equal to %(max)s.") % {"max": MAX_PRICE}
                ]
            }
        )
    places = decimal_places(currency)
    if price.amount != price.amount.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInputError(fields={"price": [_("This amount cannot be stored exactly.")]})
    return price


def _check_stock(stock_quantity: Any) -> int:
    if (
        isinstance(stock_quantity, bool)
        or not isinstance(stock_quantity, int)
        or not 0 <= stock_quantity <= _MAX_STOCK
    ):
        raise InvalidInputError(
            fields={
                "stock_quantity": [
                    _("Ensure this value is an integer from 0 to %(max)d.") % {"max": _MAX_STOCK}
                ]
            }
        )
    return stock_quantity


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)  # bool is an int


def _check_attributes(attributes: Any) -> dict[str, Any]:
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and _is_scalar(v) for k, v in attributes.items()
    ):
        raise InvalidInputError(
            fields={
                "attributes": [
                    _("Expected an object whose values are strings, numbers or booleans.")
                ]
            }
        )
    if contains_null_character(attributes):
        raise InvalidInputError(fields={"attributes": [str(NULL_CHARACTERS_MESSAGE)]})
    return attributes


def create_product(
    *,
    seller: AbstractBaseUser,
    name: str,
    price: Money,
    category: Category | None = None,
    description: str = "",
    stock_quantity: int = 0,
    attributes: dict[str, Any] | None = None,
    parent: Product | int | None = None,
) -> Product:
    """Create a product in ``seller``'s store, or a variant of one of its products.

    The slug is derived from ``name`` and made unique. A variant (``parent`` given) must hang from
    one of the seller's own active products that is not itself a variant; it takes the group's
    category when ``category`` is not given. Creating the first variant of a standalone product
    turns it into a group, which is no longer purchasable itself.

    :raises NoStoreError: ``seller`` has no store.
    :raises StoreNotApprovedError: the store is not approved yet.
    :raises StoreInactiveError: the store was deactivated.
    :raises InvalidInputError: (with ``fields``) a bad parent, category, price, stock or
        attributes.
    :returns: The new product.
    """
    store = get_selling_store(seller)
    name = name.strip()
    if not name:
        raise InvalidInputError(fields={"name": [_("This field may not be blank.")]})
    price = _check_price(price)
    stock_quantity = _check_stock(stock_quantity)
    attributes = _check_attributes({} if attributes is None else attributes)
    with transaction.atomic():
        group: Product | None = None
        if parent is not None:
            parent_pk = parent.pk if isinstance(parent, Product) else parent
            group = (
                Product.objects.select_for_update()
                .filter(pk=parent_pk, store=store, parent__isnull=True, is_active=True)
                .first()
            )
            if group is None:
                raise InvalidInputError(
                    fields={
                        "parent": [
                            _("Choose one of your own active products that is not a variant.")
                        ]
                    }
                )
            if category is None:
                category = group.category
        category = _check_category(category)
        base = _slug_base(
            name, fallback="product", max_length=Product._meta.get_field("slug").max_length or 50
        )
        return _create_with_unique_slug(
            Product,
            base,
            lambda slug: Product.objects.create(  # type: ignore[misc]  # django-money is untyped
                store=store,
                category=category,
                parent=group,
                name=name,
                slug=slug,
                description=description,
                price=price,
                stock_quantity=stock_quantity,
                attributes=attributes,
            ),
        )


def update_product(*, product: Product, actor: AbstractBaseUser, **changes: Any) -> Product:
    """Change some of a product's fields (a PATCH): those in :data:`PRODUCT_UPDATABLE_FIELDS`.

    The slug and the parent never change. When a group moves to another category, its variants
    move with it.

    :param actor: The store owner or a staff user.
    :raises PermissionDeniedError: ``actor`` neither owns the product's store nor is staff.
    :raises InvalidInputError: (with ``fields``) an unknown field or a bad value.
    :returns: The product, as saved.
    """
    if not can_manage_product(product, actor):
        raise PermissionDeniedError()
    unknown = set(changes) - PRODUCT_UPDATABLE_FIELDS
    if unknown:
        raise InvalidInputError(
            fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)}
        )
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        if not changes["name"]:
            raise InvalidInputError(fields={"name": [_("This field may not be blank.")]})
    if "price" in changes:
        _check_price(changes["price"])
    if "stock_quantity" in changes:
        _check_stock(changes["stock_quantity"])
    if "attributes" in changes:
        _check_attributes(changes["attributes"])
    if "category" in changes:
        _check_category(changes["category"])
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        for key, value in changes.items():
            setattr(locked, key, value)
        if changes:
            fields = [*changes, "updated_at"]
            if "price" in changes:
                fields.append("price_currency")  # a separate column
            locked.save(update_fields=fields)
        if "category" in changes and locked.parent_id is None:
            Product.objects.filter(parent=locked).update(
                category=locked.category, updated_at=timezone.now()
            )
    return locked


def soft_delete_product(*, product: Product, actor: AbstractBaseUser) -> Product:
    """Deactivate ``product`` (``is_active=False``); deactivating a group deactivates its variants.

    Rows are kept, so past orders keep their lines. Deleting twice changes nothing more.

    :param actor: The store owner or a staff user.
    :raises PermissionDeniedError: ``actor`` neither owns the product's store nor is staff.
    :returns: The product, as saved.
    """
    if not can_manage_product(product, actor):
        raise PermissionDeniedError()
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        now = timezone.now()
        deactivated = 0
        if locked.parent_id is None:
            deactivated = Product.objects.filter(parent=locked, is_active=True).update(
                is_active=False, updated_at=now
            )
        if locked.is_active:
            locked.is_active = False
            # Also refreshes the listing prices: the row's (its variants are now inactive) and
            # its group's.
            locked.save(update_fields=["is_active", "updated_at"])
        elif deactivated:
            refresh_listing_prices_of([locked.pk])
    return locked


# --- Listing prices --------------------------------------------------------------------------


def refresh_listing_prices(*, ids: Iterable[int] | None = None) -> int:
    """Recompute the stored listing prices of the products ``ids`` (all products when ``None``).

    ``Product.save()`` and the services keep them; call this after writes that bypass them:
    ``bulk_create()`` of variants, ``QuerySet.update()`` of prices, ``is_active`` or parents,
    raw SQL, an import. One ``UPDATE`` (``SET listing_price = COALESCE((SELECT MIN(price) FROM
    the active variants), price)``, and ``MAX`` for ``listing_price_max``) that writes only the
    rows whose stored values differ.

    :returns: How many products changed.
    """
    with transaction.atomic():
        if ids is None:
            return Product.objects.all().refresh_listing_prices()
        return refresh_listing_prices_of(ids)


@dataclass(frozen=True)
class ListingPriceDrift:
    """A product whose stored listing prices differ from its variants'."""

    product_id: int
    stored: tuple[Decimal, Decimal]
    expected: tuple[Decimal, Decimal]


def find_listing_price_drifts() -> list[ListingPriceDrift]:
    """Every product whose stored ``(listing_price, listing_price_max)`` differ from what its
    rows give (one query), by id."""
    lowest, highest = expected_listing_prices()
    rows = (
        Product.objects.annotate(expected_low=lowest, expected_high=highest)
        .exclude(listing_price=F("expected_low"), listing_price_max=F("expected_high"))
        .order_by("pk")
        .values_list("pk", "listing_price", "listing_price_max", "expected_low", "expected_high")
    )
    cent = Decimal("0.01")  # SQLite hands back computed amounts unscaled (700 for 700.00)
    return [
        ListingPriceDrift(
            pk,
            (Decimal(low).quantize(cent), Decimal(high).quantize(cent)),
            (Decimal(expected_low).quantize(cent), Decimal(expected_high).quantize(cent)),
        )
        for pk, low, high, expected_low, expected_high in rows
    ]


# --- Delete signal (connected in CatalogConfig.ready) ----------------------------------------


def refresh_group_after_delete(sender: type[Product], instance: Product, **kwargs: Any) -> None:
    """A deleted variant no longer counts in its group's listing prices (same transaction)."""
    if instance.parent_id is not None:
        refresh_listing_prices_of([instance.parent_id], using=kwargs.get("using"))
