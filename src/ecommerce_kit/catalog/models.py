"""Categories, stores, products (with variants) and the per-product rating aggregate."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.models.validators import MinMoneyValidator

from ecommerce_kit.conf import kit_settings


def _default_currency() -> str:
    return kit_settings.DEFAULT_CURRENCY


class Category(models.Model):
    """A node of the category tree (``parent`` is ``None`` for a root)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ("name", "id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="ek_category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """A seller's store: one per owner, selling only once approved by staff."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="ecommerce_store",
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_approved = models.BooleanField(_("approved"), default=False)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ("name", "id")
        indexes = [models.Index(fields=["is_approved", "is_active"], name="ek_store_visible")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_selling(self) -> bool:
        """Whether the store's products are visible and purchasable."""
        return self.is_active and self.is_approved


class ListingPriceField(models.DecimalField):
    """A product's stored listing price (amount only), kept by :class:`Product` and its queryset.

    Not editable. A row written without a value (``save()`` or ``bulk_create()`` of a new
    product) gets the product's own price amount, which is exact for a product without variants
    (every new product); a group's value is set by :meth:`ProductQuerySet.refresh_listing_prices`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None:
            price = getattr(model_instance, "price", None)
            value = getattr(price, "amount", price)
            setattr(model_instance, self.attname, value)
        return value


def _active_variant_prices(aggregate: type[Min] | type[Max]) -> Subquery:
    variants = (
        Product.objects.filter(parent=OuterRef("pk"), is_active=True)
        .order_by()
        .values("parent")
        .annotate(bound=aggregate("price"))
        .values("bound")
    )
    return Subquery(variants, output_field=models.DecimalField(max_digits=14, decimal_places=2))


def expected_listing_prices() -> tuple[Coalesce, Coalesce]:
    """The SQL expressions of a product's listing price and listing price max, from its rows.

    ``COALESCE((SELECT MIN(price) FROM its active variants), price)``, and the same with
    ``MAX``: a group's lowest and highest active variant price, or the product's own price
    when it has no active variant.
    """
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    return (
        Coalesce(_active_variant_prices(Min), F("price"), output_field=amount),
        Coalesce(_active_variant_prices(Max), F("price"), output_field=amount),
    )


class ProductQuerySet(models.QuerySet["Product"]):
    def refresh_listing_prices(self) -> int:
        """Recompute ``listing_price`` and ``listing_price_max`` of these products.

        One ``UPDATE`` that writes only the rows whose stored values differ from their
        variants' (:func:`expected_listing_prices`).

        :returns: How many rows changed.
        """
        lowest, highest = expected_listing_prices()
        return (
            self.order_by()
            .exclude(listing_price=lowest, listing_price_max=highest)
            .update(listing_price=lowest, listing_price_max=highest)
        )


#: The fields whose change can change a listing price: the product's own and its group's.
LISTING_PRICE_INPUTS = frozenset({"price", "is_active", "parent", "parent_id"})


class Product(models.Model):
    """Something a store sells.

    A product with ``parent=None`` is either *standalone* (purchasable) or a *group* whose
    purchasable *variants* point to it through ``parent``. Deleting is soft: ``is_active=False``.

    ``listing_price`` and ``listing_price_max`` are what the product list filters and sorts by:
    the lowest and highest price amount of a group's active variants, or the product's own
    price amount when it has none. :meth:`save` keeps them (the row's and its group's) whenever
    the price, ``is_active`` or the parent may have changed; bulk writes that bypass it call
    :meth:`ProductQuerySet.refresh_listing_prices` (or the ``refresh_listing_prices``
    management command) afterwards.
    """

    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("variant of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="variants",
        # Indexed by ``ek_product_variant_price`` (variants only), not by a plain index whose
        # NULLs the planner would scan to find the catalog's groups and standalone products.
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    # Declared explicitly (before ``price``) so the column carries no currency ``choices``: the
    # currencies a host accepts are the CURRENCIES setting, and migrations must not change when it
    # (or the installed locale data) does.
    price_currency = models.CharField(_("currency"), max_length=3, default=_default_currency)
    price = MoneyField(
        _("price"),
        max_digits=14,
        decimal_places=2,
        default_currency=_default_currency,
        validators=[MinMoneyValidator(0)],
    )
    stock_quantity = models.IntegerField(_("stock quantity"), default=0)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    listing_price = ListingPriceField(_("listing price"))
    listing_price_max = ListingPriceField(_("highest listing price"))

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_quantity__gte=0), name="ek_product_stock_not_negative"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="ek_product_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="ek_product_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "parent", "-created_at"], name="ek_product_listing"),
            models.Index(fields=["price_currency", "price"], name="ek_product_price"),
            models.Index(fields=["name"], name="ek_product_name"),
            models.Index(fields=["category", "is_active"], name="ek_product_category"),
            models.Index(fields=["store", "is_active"], name="ek_product_store"),
            # The catalog's default page (groups and standalone products, newest first) read in
            # index order, and its count read from a small index alone (with the stores).
            models.Index(
                fields=["-created_at", "-id"],
                name="ek_product_newest",
                condition=Q(is_active=True, parent__isnull=True),
            ),
            models.Index(
                fields=["store"],
                name="ek_product_listed_store",
                condition=Q(is_active=True, parent__isnull=True),
            ),
            # The listed products of a category, for the category filter.
            models.Index(
                fields=["category"],
                name="ek_product_listed_category",
                condition=Q(is_active=True, parent__isnull=True),
            ),
            # The listed products in listing-price order, of a category and of the catalog:
            # ``ordering=price`` (either direction) reads its page in index order, the price
            # bounds' conditions on both listing prices are checked in the index, and the
            # capped count reads the index alone (PostgreSQL; the INCLUDE is dropped elsewhere).
            # See ``catalog.filters.listing_price_bounds`` and bench/README.md.
            models.Index(
                fields=["category", "listing_price", "listing_price_max"],
                name="ek_product_listed_price",
                condition=Q(is_active=True, parent__isnull=True),
                include=["id", "price", "store"],
            ),
            models.Index(
                fields=["listing_price", "listing_price_max"],
                name="ek_product_listed_by_price",
                condition=Q(is_active=True, parent__isnull=True),
                include=["id", "price", "store"],
            ),
            # A product's variants (every lookup by ``parent``), cheapest first, with what the
            # list's price and currency filters read of them: those read the index alone
            # (PostgreSQL; the INCLUDE is dropped elsewhere). Not the stock: no index may hold
            # ``stock_quantity``, so that PostgreSQL updates it in place (a HOT update, without
            # touching the table's indexes) at every checkout and cancellation; ``in_stock``
            # reads it from the variant's row.
            models.Index(
                fields=["parent", "price"],
                name="ek_product_variant_price",
                condition=Q(parent__isnull=False),
                include=["is_active", "price_currency"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, then refresh the listing prices of the row and of its group (old and new).

        One ``UPDATE`` after the write when the price, ``is_active`` or the parent may have
        changed (``update_fields`` is ``None`` or names one of them); none otherwise (e.g. for
        the stock), nor for a new product without a parent, whose own price is its listing
        price. The refreshed values are reloaded from the database when next read.
        """
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        super().save(*args, **kwargs)
        previous_parent_id = getattr(self, "_loaded_parent_id", None)
        self._loaded_parent_id = self.parent_id
        if update_fields is not None and LISTING_PRICE_INPUTS.isdisjoint(update_fields):
            return
        if adding and self.parent_id is None:
            return
        refresh_listing_prices_of(
            {self.pk, self.parent_id, previous_parent_id}, using=self._state.db
        )
        for field in ("listing_price", "listing_price_max"):
            self.__dict__.pop(field, None)  # deferred: read again from the row when needed

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Product:
        instance = super().from_db(db, field_names, values, **kwargs)
        # The group the row had when loaded: a save that moves a variant refreshes both groups.
        instance._loaded_parent_id = instance.__dict__.get("parent_id")
        return instance


def refresh_listing_prices_of(ids: Iterable[int | None], *, using: str | None = None) -> int:
    """Refresh the listing prices of the products ``ids`` (``None`` entries are skipped).

    :returns: How many rows changed.
    """
    wanted = sorted({pk for pk in ids if pk is not None})
    if not wanted:
        return 0
    return Product.objects.db_manager(using).filter(pk__in=wanted).refresh_listing_prices()


class ProductRating(models.Model):
    """The review aggregate of one product, kept exact by the reviews app's services.

    It lives beside the product so the product list can show and sort by rating with a join
    instead of extra queries. ``average`` is ``None`` while ``count`` is 0.
    """

    product = models.OneToOneField(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="rating",
        primary_key=True,
    )
    count = models.PositiveIntegerField(_("count"), default=0)
    total = models.PositiveIntegerField(_("sum of ratings"), default=0)
    average = models.DecimalField(
        _("average"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    count_1 = models.PositiveIntegerField(_("1 star"), default=0)
    count_2 = models.PositiveIntegerField(_("2 stars"), default=0)
    count_3 = models.PositiveIntegerField(_("3 stars"), default=0)
    count_4 = models.PositiveIntegerField(_("4 stars"), default=0)
    count_5 = models.PositiveIntegerField(_("5 stars"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product rating")
        verbose_name_plural = _("product ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    count=models.F("count_1")
                    + models.F("count_2")
                    + models.F("count_3")
                    + models.F("count_4")
                    + models.F("count_5")
                ),
                name="ek_rating_distribution_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.average} ({self.count})"

    @property
    def distribution(self) -> dict[str, int]:
        return {str(n): getattr(self, f"count_{n}") for n in range(1, 6)}
