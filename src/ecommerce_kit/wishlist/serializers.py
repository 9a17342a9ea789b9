"""Shapes of wishlist items, and validation of what clients send.

The nested product follows the API's product shape. It is built from a product loaded by
:func:`ecommerce_kit.wishlist.selectors.list_wishlist` (``is_group`` annotated, active variants
prefetched as ``active_variants``), so a page of items costs a constant number of queries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField
from ecommerce_kit.catalog import selectors as catalog_selectors
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.wishlist.models import WishlistItem

MAX_ID = 2**63 - 1

#: The fields of the API's product shape, and of a nested variant (the same without ``variants``).
PRODUCT_FIELDS: tuple[str, ...] = (
    "id", "slug", "name", "description", "price", "stock_quantity", "in_stock", "category",
    "store", "rating", "attributes", "parent", "variants", "is_active", "created_at", "updated_at",
)  # fmt: skip
VARIANT_FIELDS: tuple[str, ...] = tuple(f for f in PRODUCT_FIELDS if f != "variants")


class _CategoryRefSerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ("id", "slug", "name")
        read_only_fields = fields


class _StoreRefSerializer(serializers.ModelSerializer[Store]):
    class Meta:
        model = Store
        fields = ("id", "slug", "name")
        read_only_fields = fields


def _active_variants(product: Product) -> list[Product]:
    prefetched = getattr(product, "active_variants", None)
    if prefetched is not None:
        return list(prefetched)
    return list(
        product.variants.filter(is_active=True)
        .select_related("category", "store", "rating")
        .order_by("id")
    )


class WishlistVariantSerializer(serializers.ModelSerializer[Product]):
    """A product without its ``variants``."""

    price = MoneyField(read_only=True)
    in_stock = serializers.SerializerMethodField()
    category = _CategoryRefSerializer(read_only=True)
    store = _StoreRefSerializer(read_only=True)
    rating = serializers.SerializerMethodField()
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Product
        fields = VARIANT_FIELDS
        read_only_fields = fields

    def get_in_stock(self, product: Product) -> bool:
        """A group is in stock when any active variant is; any other product by its own stock."""
        if product.parent_id is None and catalog_selectors.is_group(product):
            return any(v.stock_quantity > 0 for v in _active_variants(product))
        return product.stock_quantity > 0

    def get_rating(self, product: Product) -> dict[str, Any]:
        rating = getattr(product, "rating", None)
        if rating is None:
            return {"average": None, "count": 0}
        average = rating.average
        return {
            "average": None if average is None else f"{average.quantize(Decimal('0.01')):f}",
            "count": rating.count,
        }


class WishlistProductSerializer(WishlistVariantSerializer):
    """The product shape of the API, with its active variants nested."""

    variants = serializers.SerializerMethodField()

    class Meta(WishlistVariantSerializer.Meta):
        fields = PRODUCT_FIELDS
        read_only_fields = fields

    def get_variants(self, product: Product) -> list[dict[str, Any]]:
        if product.parent_id is not None:
            return []
        return WishlistVariantSerializer(_active_variants(product), many=True).data  # type: ignore[return-value]


class WishlistItemSerializer(serializers.ModelSerializer[WishlistItem]):
    """``{"product": Product, "added_at"}``."""

    product = WishlistProductSerializer(read_only=True)

    class Meta:
        model = WishlistItem
        fields = ("product", "added_at")
        read_only_fields = fields


class WishlistAddSerializer(serializers.Serializer):
    """The body of ``POST wishlist/``: ``{"product": id}``."""

    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
