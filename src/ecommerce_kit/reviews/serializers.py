"""Shapes of reviews and ratings, and validation of what clients send."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from ecommerce_kit.catalog.models import ProductRating
from ecommerce_kit.reviews.models import MAX_RATING, MIN_RATING, TITLE_MAX_LENGTH, Review
from ecommerce_kit.reviews.selectors import RATINGS
from ecommerce_kit.reviews.services import BODY_MAX_LENGTH


class ReviewAuthorSerializer(serializers.Serializer):
    """``{"id", "username"}`` of a review's author (any user model)."""

    id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.SerializerMethodField()

    def get_username(self, user: Any) -> str:
        return str(user.get_username())


class ReviewSerializer(serializers.ModelSerializer[Review]):
    """The review shape of the API."""

    product = serializers.IntegerField(source="product_id", read_only=True)
    user = ReviewAuthorSerializer(read_only=True)

    class Meta:
        model = Review
        fields = (
            "id",
            "product",
            "user",
            "rating",
            "title",
            "body",
            "verified_purchase",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ReviewWriteSerializer(serializers.Serializer):
    """The body of ``POST products/{id}/reviews/`` (and, partially, of ``PATCH reviews/{id}/``)."""

    rating = serializers.IntegerField(min_value=MIN_RATING, max_value=MAX_RATING)
    title = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


def rating_representation(rating: ProductRating | None) -> dict[str, Any]:
    """Return the API shape of a product's rating row (``None``: no reviews yet)."""
    if rating is None:
        return {"average": None, "count": 0, "distribution": {str(n): 0 for n in RATINGS}}
    average = rating.average
    return {
        "average": None if average is None else f"{average.quantize(Decimal('0.01')):f}",
        "count": rating.count,
        "distribution": rating.distribution,
    }


class ProductRatingSerializer(serializers.Serializer):
    """``{"average": "4.50" | null, "count", "distribution": {"1": n, ..., "5": n}}``.

    Serializes a :class:`~ecommerce_kit.catalog.models.ProductRating` or ``None`` (no reviews).
    """

    average = serializers.CharField(allow_null=True, read_only=True)
    count = serializers.IntegerField(read_only=True)
    distribution = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    def to_representation(self, instance: ProductRating | None) -> dict[str, Any]:
        return rating_representation(instance)
