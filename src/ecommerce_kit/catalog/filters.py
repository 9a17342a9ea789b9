"""The filters and orderings of ``GET products/``.

Every parameter is validated: a bad value is a 400 with ``code: "invalid"`` and ``fields``, never
silently ignored. Price, stock and currency filters look at a group's active variants: a group
matches when any one of its variants matches all of them (a correlated subquery, so rows are never
duplicated: see :func:`matches_self_or_variant`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Case, F, Max, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from ecommerce_kit import plugins
from ecommerce_kit.catalog import search, selectors
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.conf import kit_settings

MAX_SEARCH_LENGTH = 200

ORDERINGS = ("price", "-price", "created_at", "-created_at", "name", "-name", "rating", "-rating")
DEFAULT_ORDERING = "-created_at"


class StrictBooleanField(forms.Field):
    """Accept ``true`` or ``false`` (any case); anything else is invalid."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class CurrencyField(forms.CharField):
    """One of the ``CURRENCIES`` setting (read on every request)."""

    default_error_messages = {"invalid": _("Unknown currency %(value)r; use one of: %(allowed)s.")}

    def clean(self, value: Any) -> str | None:
        value = super().clean(value)
        if not value:
            return None
        allowed = kit_settings.CURRENCIES
        if value not in allowed:
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"value": value, "allowed": ", ".join(allowed)},
            )
        return str(value)


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class CurrencyFilter(django_filters.Filter):
    field_class = CurrencyField


class ProductFilterForm(forms.Form):
    """Validate the parameters together, so that every bad one is reported in one answer.

    Resolves ``category`` to the ids of the category and its descendants (``category_ids``) and
    ``store`` to the store's id (``store_id``).
    """

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("Must be greater than or equal to min_price."))
        if data.get("category"):
            data["category_ids"] = selectors.get_category_with_descendants(data["category"])
            if data["category_ids"] is None:
                self.add_error("category", _("Unknown category."))
        if data.get("store"):
            found = selectors.list_selling_stores().filter(slug=data["store"])
            data["store_id"] = next(iter(found.values_list("pk", flat=True)), None)
            if data["store_id"] is None:
                self.add_error("store", _("Unknown store."))
        return data


def _price_field(label: str) -> dict[str, Any]:
    return {"min_value": Decimal(0), "max_digits": 18, "decimal_places": 6, "label": label}


class ProductFilterSet(django_filters.FilterSet):
    """Filters of the product list. The work happens in :meth:`filter_queryset`."""

    search = django_filters.CharFilter(
        method="_ignore",
        max_length=MAX_SEARCH_LENGTH,
        label="Words searched for in product names and descriptions.",
    )
    category = django_filters.CharFilter(
        method="_ignore",
        max_length=140,
        label="Category slug; products of its sub-categories are included.",
    )
    store = django_filters.CharFilter(method="_ignore", max_length=140, label="Store slug.")
    min_price = django_filters.NumberFilter(
        method="_ignore",
        **_price_field("Lowest price amount (a group matches when any variant does)."),
    )
    max_price = django_filters.NumberFilter(
        method="_ignore",
        **_price_field("Highest price amount (a group matches when any variant does)."),
    )
    in_stock = StrictBooleanFilter(method="_ignore", label="true or false.")
    currency = CurrencyFilter(method="_ignore", max_length=3, label="ISO 4217 currency code.")
    ordering = django_filters.ChoiceFilter(
        method="_ignore",
        choices=[(o, o) for o in ORDERINGS],
        empty_label=None,
        label=f"One of {', '.join(ORDERINGS)}; default {DEFAULT_ORDERING}.",
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = ProductFilterForm

    def _ignore(self, queryset: QuerySet[Product], name: str, value: Any) -> QuerySet[Product]:
        # Filters are applied together by filter_queryset, which never calls the per-filter
        # methods; this only tells django-filter that the names are not model fields.
        return queryset  # pragma: no cover

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        """Apply every filter of the validated form, then the search, then the ordering."""
        data = self.form.cleaned_data

        if data.get("category_ids") is not None:
            queryset = queryset.filter(category_id__in=data["category_ids"])
        if data.get("store_id") is not None:
            queryset = queryset.filter(store_id=data["store_id"])

        variant_condition = Q()
        if data.get("min_price") is not None:
            variant_condition &= Q(price__gte=data["min_price"])
        if data.get("max_price") is not None:
            variant_condition &= Q(price__lte=data["max_price"])
        queryset = queryset.filter(
            listing_price_bounds(min_price=data.get("min_price"), max_price=data.get("max_price"))
        )
        if data.get("currency"):
            variant_condition &= Q(price_currency=data["currency"])
        if data.get("in_stock") is True:
            variant_condition &= Q(stock_quantity__gt=0)
        if variant_condition:
            queryset = queryset.filter(matches_self_or_variant(variant_condition))
        if data.get("in_stock") is False:
            queryset = queryset.exclude(matches_self_or_variant(Q(stock_quantity__gt=0)))

        ordering = data.get("ordering")
        query = (data.get("search") or "").strip()
        if query:
            searched = plugins.search_products(queryset=queryset, query=query)
            if searched is None:
                searched = search.search_products(queryset, query)
            # Without an ``ordering``, results come most relevant first: the kit's full-text
            # search orders them by rank, and a plugin's own ``order_by()`` is kept.
            if not ordering and searched.query.order_by:
                return searched
            queryset = searched

        return order_products(queryset, ordering or DEFAULT_ORDERING)


def matches_self_or_variant(condition: Q) -> Q:
    """A product matches ``condition`` itself (when it has no variants) or through any active
    variant (when it is a group).

    One correlated scalar subquery per candidate row reads the product's variants from the
    variants' index (``ek_product_variant_price``): ``MAX(CASE ...)`` over them is NULL when there
    are none (then the product's own row decides), 1 when an active one matches, else 0. Unlike
    ``EXISTS`` under an ``OR``, which PostgreSQL runs as a hashed subplan over every variant of
    the catalog, it only reads the variants of the rows the other filters (category, store,
    search) leave, so its cost follows those rows, not the size of the catalog.
    """
    variant_matches = (
        Product.objects.filter(parent=OuterRef("pk"))
        .order_by()
        .values("parent")
        .annotate(matched=Max(Case(When(Q(is_active=True) & condition, then=1), default=0)))
        .values("matched")
    )
    own = Case(When(condition, then=1), default=0)
    return Q(GreaterThan(Coalesce(Subquery(variant_matches), own), 0))


def listing_price_bounds(*, min_price: Decimal | None, max_price: Decimal | None) -> Q:
    """Conditions on the stored listing prices that every product matching the price bounds
    meets, so that the database can skip the others before :func:`matches_self_or_variant`.

    ``listing_price <= max_price`` and ``listing_price_max >= min_price`` are *necessary*: a
    product matching ``price__gte=min_price, price__lte=max_price`` (with any other variant
    condition) through :func:`matches_self_or_variant` either

    - has no variants and matches itself: its price ``p`` is in ``[min_price, max_price]``, and
      ``listing_price = listing_price_max = p`` (no active variant, so the ``COALESCE`` falls
      back to the own price); or
    - matches through an active variant priced ``v`` in ``[min_price, max_price]``: then
      ``listing_price``, the lowest active variant price, is ``<= v <= max_price``, and
      ``listing_price_max``, the highest, is ``>= v >= min_price``.

    A group whose variants are all inactive matches nothing (the subquery answers 0), so the
    conditions may keep it without changing the result. They are not sufficient (a group whose
    cheapest variant is below the range and dearest above it may have none inside; the currency
    and stock conditions are not looked at), which is why the exact subquery stays; they let
    PostgreSQL walk ``ek_product_listed_price`` in price order and run the subquery only on the
    rows that can match. ``Q()`` (no condition) when neither bound is given.
    """
    condition = Q()
    if max_price is not None:
        condition &= Q(listing_price__lte=max_price)
    if min_price is not None:
        condition &= Q(listing_price_max__gte=min_price)
    return condition


def order_products(queryset: QuerySet[Product], ordering: str) -> QuerySet[Product]:
    """Order by one of :data:`ORDERINGS`; ties are broken by newest id.

    A group sorts by the lowest price of its active variants, its stored ``listing_price``
    (see :class:`~ecommerce_kit.catalog.models.Product`). Products without ratings sort last
    whichever the direction.
    """
    descending = ordering.startswith("-")
    key = ordering.lstrip("-")
    if key == "price":
        expression = F("listing_price")
    elif key == "rating":
        expression = F("rating__average")
    else:
        expression = F(key)
    # Only the rating can be NULL; the other keys are ordered plainly, so that an index in the
    # same order (newest first: ``ek_product_newest``) serves the page without sorting.
    nulls_last = True if key == "rating" else None
    if descending:
        ordered = expression.desc(nulls_last=nulls_last)
    else:
        ordered = expression.asc(nulls_last=nulls_last)
    return queryset.order_by(ordered, "-id")
