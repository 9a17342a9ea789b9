"""Shapes of categories, stores and products, and validation of what clients send."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField, represent_datetime, represent_money
from ecommerce_kit.catalog import selectors
from ecommerce_kit.catalog.models import Category, Product, Store
from ecommerce_kit.money import MAX_PRICE

MAX_STOCK = 2**31 - 1
MAX_DESCRIPTION_LENGTH = 10_000
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY_LENGTH = 64
MAX_ATTRIBUTE_VALUE_LENGTH = 200

ATTRIBUTES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
    },
    "example": {"size": "M", "colour": "azul"},
}

RATING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "average": {"type": "string", "format": "decimal", "nullable": True, "example": "4.50"},
        "count": {"type": "integer", "example": 12},
    },
    "required": ["average", "count"],
}


# --- Read shapes -----------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ("id", "slug", "name")
        read_only_fields = fields


class StoreRefSerializer(serializers.ModelSerializer[Store]):
    class Meta:
        model = Store
        fields = ("id", "slug", "name")
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent = serializers.IntegerField(  # type: ignore[assignment]  # shadows Field.parent
        source="parent_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Category
        fields = ("id", "slug", "name", "description", "parent")
        read_only_fields = fields


class StoreSerializer(serializers.ModelSerializer[Store]):
    class Meta:
        model = Store
        fields = ("id", "slug", "name", "description", "is_approved", "is_active", "created_at")
        read_only_fields = fields


_active_variants = selectors.active_variants


_NO_RATING: dict[str, Any] = {"average": None, "count": 0}
_CENT = Decimal("0.01")


def _rating(product: Product) -> dict[str, Any]:
    try:
        rating = product.rating
    except Product.rating.RelatedObjectDoesNotExist:
        return dict(_NO_RATING)
    average = rating.average
    return {
        "average": None if average is None else f"{average.quantize(_CENT):f}",
        "count": rating.count,
    }


def _in_stock(product: Product) -> bool:
    if selectors.is_group(product):
        return any(v.stock_quantity > 0 for v in _active_variants(product))
    return product.stock_quantity > 0


class VariantSerializer(serializers.ModelSerializer[Product]):
    """A product without its ``variants`` (the shape of each nested variant).

    The kit's own product serializers write their shape directly (:meth:`represent`): DRF's
    generic loop over bound fields costs several times the work itself on a page of products
    (see ``bench/README.md``). A subclass (a host adding or changing fields) is serialized by
    DRF's loop over its declared fields, as usual.
    """

    price = MoneyField(read_only=True)
    in_stock = serializers.SerializerMethodField()
    category = CategoryRefSerializer(read_only=True)
    store = StoreRefSerializer(read_only=True)
    rating = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    parent = serializers.IntegerField(  # type: ignore[assignment]  # shadows Field.parent
        source="parent_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Product
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "name",
            "description",
            "price",
            "stock_quantity",
            "in_stock",
            "category",
            "store",
            "rating",
            "attributes",
            "parent",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def to_representation(self, instance: Product) -> dict[str, Any]:
        if type(self) in _DIRECT:
            return self.represent(instance)
        return super().to_representation(instance)

    def represent(self, product: Product) -> dict[str, Any]:
        """The product's shape, field by field as the declared fields would give it."""
        category = product.category
        store = product.store
        return {
            "id": product.pk,
            "slug": product.slug,
            "name": product.name,
            "description": product.description,
            "price": represent_money(product.price),
            "stock_quantity": product.stock_quantity,
            "in_stock": _in_stock(product),
            "category": {"id": category.pk, "slug": category.slug, "name": category.name},
            "store": {"id": store.pk, "slug": store.slug, "name": store.name},
            "rating": _rating(product),
            "attributes": dict(product.attributes or {}),
            "parent": product.parent_id,
            "is_active": product.is_active,
            "created_at": represent_datetime(product.created_at),
            "updated_at": represent_datetime(product.updated_at),
        }

    def get_in_stock(self, product: Product) -> bool:
        """A group is in stock when any of its active variants is; other products by their own
        stock."""
        return _in_stock(product)

    @extend_schema_field(RATING_SCHEMA)
    def get_rating(self, product: Product) -> dict[str, Any]:
        return _rating(product)

    @extend_schema_field(ATTRIBUTES_SCHEMA)
    def get_attributes(self, product: Product) -> dict[str, Any]:
        return dict(product.attributes or {})


class ProductSerializer(VariantSerializer):
    """The product shape of the API, with its active variants nested."""

    variants = serializers.SerializerMethodField()

    class Meta(VariantSerializer.Meta):
        fields = (
            "id",
            "slug",
            "name",
            "description",
            "price",
            "stock_quantity",
            "in_stock",
            "category",
            "store",
            "rating",
            "attributes",
            "parent",
            "variants",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def represent(self, product: Product) -> dict[str, Any]:
        shape = super().represent(product)
        variants = self.get_variants(product)
        # The key order of Meta.fields: "variants" after "parent".
        return {
            **{key: shape[key] for key in VariantSerializer.Meta.fields[:12]},
            "variants": variants,
            **{key: shape[key] for key in VariantSerializer.Meta.fields[12:]},
        }

    @extend_schema_field(VariantSerializer(many=True))
    def get_variants(self, product: Product) -> list[dict[str, Any]]:
        if product.parent_id is not None:
            return []
        # One variant serializer for the whole page: building DRF fields per product costs far
        # more than the serialization itself (see bench/README.md).
        variant_serializer = self.__dict__.get("_variant_serializer")
        if variant_serializer is None:
            variant_serializer = VariantSerializer(context=self.context)
            self.__dict__["_variant_serializer"] = variant_serializer
        return [variant_serializer.to_representation(v) for v in _active_variants(product)]


#: The serializers whose shape :meth:`VariantSerializer.represent` writes (not their subclasses).
_DIRECT = (VariantSerializer, ProductSerializer)


# --- Write validation ------------------------------------------------------------------------


@extend_schema_field(ATTRIBUTES_SCHEMA)
class AttributesField(serializers.JSONField):
    """A JSON object of short string keys to scalar values (string, number or boolean)."""

    default_error_messages = {
        "not_object": _("Expected a JSON object."),
        "too_many": _("Ensure there are no more than {max} attributes."),
        "key": _("Attribute names must be 1 to {max} characters long."),
        "value": _("The value of {name} must be a string, a number or a boolean."),
        "value_length": _("The value of {name} must be at most {max} characters long."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        if len(value) > MAX_ATTRIBUTES:
            self.fail("too_many", max=MAX_ATTRIBUTES)
        for key, item in value.items():
            if not isinstance(key, str) or not key.strip() or len(key) > MAX_ATTRIBUTE_KEY_LENGTH:
                self.fail("key", max=MAX_ATTRIBUTE_KEY_LENGTH)
            if isinstance(item, float) and not math.isfinite(item):
                self.fail("value", name=key)
            if not isinstance(item, str | int | float):
                self.fail("value", name=key)
            if isinstance(item, str) and len(item) > MAX_ATTRIBUTE_VALUE_LENGTH:
                self.fail("value_length", name=key, max=MAX_ATTRIBUTE_VALUE_LENGTH)
        return value


def _active_categories() -> Any:
    return Category.objects.filter(is_active=True)


class ProductCreateSerializer(serializers.Serializer[Any]):
    """``POST products/``: a product, or a variant of one of the seller's products."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, allow_blank=True, required=False, default=""
    )
    price = MoneyField(positive=True, max_value=MAX_PRICE)
    stock_quantity = serializers.IntegerField(
        min_value=0, max_value=MAX_STOCK, required=False, default=0
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=_active_categories(),
        required=False,
        help_text="Category id; a variant takes its group's category when left out.",
    )
    attributes = AttributesField(required=False, default=dict)
    parent = serializers.IntegerField(  # type: ignore[assignment]  # shadows Field.parent
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of one of your own products, to create a variant of it.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("parent") is None and attrs.get("category") is None:
            raise serializers.ValidationError({"category": [_("This field is required.")]})
        return attrs


class ProductUpdateSerializer(serializers.Serializer[Any]):
    """``PATCH products/{id}/``: any of the fields below; ``parent`` cannot change."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, allow_blank=True, required=False
    )
    price = MoneyField(positive=True, max_value=MAX_PRICE, required=False)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=_active_categories(), required=False)
    attributes = AttributesField(required=False)
    parent = serializers.IntegerField(  # type: ignore[assignment]  # shadows Field.parent
        required=False,
        allow_null=True,
        help_text="Read-only after creation; sending another value than the current one is a 400.",
    )

    def validate_parent(self, value: int | None) -> int | None:
        product: Product | None = self.context.get("product")
        if product is not None and value != product.parent_id:
            raise serializers.ValidationError(_("The parent of a product cannot be changed."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.pop("parent", None)
        return attrs


class StoreCreateSerializer(serializers.Serializer[Any]):
    """``POST stores/``."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, allow_blank=True, required=False, default=""
    )
