"""Shapes of wishlist items, and validation of what clients send.

The nested product is the catalog's product shape, built from products loaded by
:func:`ecommerce_kit.wishlist.selectors.list_wishlist`, so a page costs a fixed number of queries.
"""

from __future__ import annotations

from rest_framework import serializers

from ecommerce_kit.catalog.serializers import ProductSerializer
from ecommerce_kit.wishlist.models import WishlistItem

MAX_ID = 2**63 - 1


class WishlistItemSerializer(serializers.ModelSerializer[WishlistItem]):
    """``{"product": Product, "added_at"}``."""

    product = ProductSerializer(read_only=True)

    class Meta:
        model = WishlistItem
        fields = ("product", "added_at")
        read_only_fields = fields


class WishlistAddSerializer(serializers.Serializer):
    """The body of ``POST wishlist/``: ``{"product": id}``."""

    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
