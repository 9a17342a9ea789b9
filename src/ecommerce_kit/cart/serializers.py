"""Shapes of the cart API: the serialized cart and the bodies of its write requests."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField
from ecommerce_kit.conf import kit_settings


class CartProductSerializer(serializers.Serializer):
    """The product of a cart line: ``{"id", "name", "slug"}``."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class CartLineSerializer(serializers.Serializer):
    """A :class:`ecommerce_kit.cart.selectors.CartLine`."""

    id = serializers.IntegerField(read_only=True)
    product = CartProductSerializer(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = MoneyField(read_only=True)
    line_total = MoneyField(read_only=True)
    available = serializers.BooleanField(read_only=True)


class CartSerializer(serializers.Serializer):
    """A :class:`ecommerce_kit.cart.selectors.CartSummary`.

    ``currency`` and ``subtotal`` are ``null`` while the cart is empty. ``item_count`` and
    ``subtotal`` count only the lines whose ``available`` is ``true``.
    """

    token = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True, allow_null=True)
    items = CartLineSerializer(source="lines", many=True, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    subtotal = MoneyField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)


def quantity_field(**kwargs: Any) -> serializers.IntegerField:
    """Return a field for a line quantity: an integer from 1 to ``MAX_QUANTITY_PER_LINE``."""
    return serializers.IntegerField(
        min_value=1, max_value=kit_settings.MAX_QUANTITY_PER_LINE, **kwargs
    )


class CartItemAddSerializer(serializers.Serializer):
    """Body of ``POST cart/items/``: ``{"product": id, "quantity": n}``.

    ``quantity`` defaults to 1. An integer ``product`` that names no purchasable product is
    refused by the service (``product_unavailable``), not here.
    """

    product = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["quantity"] = quantity_field(default=1)  # the bound is read on every request
        return fields


class CartItemUpdateSerializer(serializers.Serializer):
    """Body of ``PATCH cart/items/{id}/``: ``{"quantity": n}``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["quantity"] = quantity_field()
        return fields


class CartMergeSerializer(serializers.Serializer):
    """Body of ``POST cart/merge/``: ``{"token": "<anonymous cart token>"}``."""

    token = serializers.CharField(max_length=64, trim_whitespace=True)
