"""Shapes of the cart API: the serialized cart and the bodies of its write requests."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField, represent_datetime, represent_money
from ecommerce_kit.conf import kit_settings


class CartProductSerializer(serializers.Serializer):
    """The product of a cart line."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class CartLineSerializer(serializers.Serializer):
    """A cart line at the product's live price.

    `available` is false when the product can no longer be bought in this cart (deactivated, its
    store or group deactivated, its store unapproved, or priced in another currency).
    """

    id = serializers.IntegerField(read_only=True)
    product = CartProductSerializer(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_price = MoneyField(read_only=True)
    line_total = MoneyField(read_only=True)
    available = serializers.BooleanField(read_only=True)


class CartSerializer(serializers.Serializer):
    """A cart with live prices.

    `currency` and `subtotal` are null while the cart is empty. `item_count` (the sum of the
    quantities) and `subtotal` count only the lines whose `available` is true.
    """

    # This class (not a subclass) writes its shape directly, as its declared fields would: DRF's
    # loop over bound fields, nested once per line, costs more than the work itself.

    token = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True, allow_null=True)
    items = CartLineSerializer(source="lines", many=True, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    subtotal = MoneyField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if type(self) is not CartSerializer:
            return super().to_representation(instance)
        currency = instance.currency
        return {
            "token": instance.token,
            "currency": None if currency is None else str(currency),
            "items": [
                {
                    "id": line.id,
                    "product": {
                        "id": line.product.pk,
                        "name": line.product.name,
                        "slug": line.product.slug,
                    },
                    "quantity": line.quantity,
                    "unit_price": represent_money(line.unit_price),
                    "line_total": represent_money(line.line_total),
                    "available": bool(line.available),
                }
                for line in instance.lines
            ],
            "item_count": instance.item_count,
            "subtotal": represent_money(instance.subtotal),
            "updated_at": represent_datetime(instance.updated_at),
        }


def quantity_field(**kwargs: Any) -> serializers.IntegerField:
    """Return a field for a line quantity: an integer from 1 to ``MAX_QUANTITY_PER_LINE``."""
    return serializers.IntegerField(
        min_value=1, max_value=kit_settings.MAX_QUANTITY_PER_LINE, **kwargs
    )


class CartItemAddSerializer(serializers.Serializer):
    """A product to add to the cart; `quantity` defaults to 1."""

    product = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["quantity"] = quantity_field(default=1)  # the bound is read on every request
        return fields


class CartItemUpdateSerializer(serializers.Serializer):
    """The new quantity of a cart line."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["quantity"] = quantity_field()
        return fields


class CartMergeSerializer(serializers.Serializer):
    """The token of the anonymous cart to merge into the signed-in user's cart."""

    token = serializers.CharField(max_length=64, trim_whitespace=True)
