"""HTTP endpoints of reviews and product ratings (thin: parse, authorize, call a service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit.api.schema import error_responses, extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.reviews import selectors, services
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.serializers import (
    ProductRatingSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    rating_representation,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

_READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _signed_in(request: Request) -> AbstractBaseUser:
    """The request's user, which ``IsAuthenticated`` has already required."""
    return cast("AbstractBaseUser", request.user)


def _visible_product(product_id: int) -> Product:
    product = selectors.get_visible_product(product_id)
    if product is None:
        raise NotFound(_("Product not found."))
    return product


class _ReadAnyoneWriteAuthenticated:
    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in _READ_METHODS:  # type: ignore[attr-defined]
            return [AllowAny()]
        return [IsAuthenticated()]


class ProductReviewsView(_ReadAnyoneWriteAuthenticated, KitViewMixin, GenericAPIView):
    """``GET``: the public reviews of a product. ``POST``: review it (buyers only)."""

    serializer_class = ReviewSerializer
    throttle_scope = "ecommerce_kit.review"

    @extend_schema(
        operation_id="product_reviews_list",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=list(selectors.REVIEW_ORDERINGS),
                description="Default: newest first (-created_at).",
            )
        ],
        responses={
            200: ReviewSerializer(many=True),
            **error_responses({400: "invalid (bad ordering or page)", 404: "not_found (product)"}),
        },
    )
    def get(self, request: Request, product_id: int) -> Response:
        product = _visible_product(product_id)
        ordering = request.query_params.get("ordering") or selectors.DEFAULT_REVIEW_ORDERING
        if ordering not in selectors.REVIEW_ORDERINGS:
            raise ValidationError(
                {
                    "ordering": [
                        _("Must be one of: %(choices)s.")
                        % {"choices": ", ".join(selectors.REVIEW_ORDERINGS)}
                    ]
                }
            )
        reviews = selectors.list_public_reviews(product=product, ordering=ordering)
        page = self.paginate_queryset(reviews)
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    @extend_schema(
        operation_id="product_reviews_create",
        request=ReviewWriteSerializer,
        responses={
            201: ReviewSerializer,
            **error_responses(
                {
                    400: "invalid (e.g. rating outside 1..5)",
                    401: "not_authenticated",
                    403: "purchase_required, own_product",
                    404: "not_found (product)",
                    409: "already_reviewed",
                    429: "throttled",
                }
            ),
        },
    )
    def post(self, request: Request, product_id: int) -> Response:
        _visible_product(product_id)
        serializer = ReviewWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.create_review(
            user=_signed_in(request), product_id=product_id, **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewDetailView(_ReadAnyoneWriteAuthenticated, KitViewMixin, APIView):
    """``GET`` a review; ``PATCH`` it (author); ``DELETE`` it (author or staff)."""

    throttle_scope = "ecommerce_kit.review"

    @extend_schema(
        operation_id="review_retrieve",
        responses={200: ReviewSerializer, **error_responses({404: "not_found"})},
    )
    def get(self, request: Request, pk: int) -> Response:
        review = Review.objects.select_related("user").filter(pk=pk).first()
        if review is None or not selectors.can_see_review(review=review, user=request.user):
            raise NotFound(_("Review not found."))
        return Response(ReviewSerializer(review).data)

    @extend_schema(
        operation_id="review_update",
        request=ReviewWriteSerializer(partial=True),
        responses={
            200: ReviewSerializer,
            **error_responses(
                {
                    400: "invalid",
                    401: "not_authenticated",
                    403: "permission_denied (only the author edits)",
                    404: "not_found",
                    429: "throttled",
                }
            ),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        serializer = ReviewWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(serializer.validated_data)
        review = services.update_review(review_id=pk, user=_signed_in(request), **changes)
        return Response(ReviewSerializer(review).data)

    @extend_schema(
        operation_id="review_delete",
        responses={
            204: None,
            **error_responses(
                {
                    401: "not_authenticated",
                    403: "permission_denied (only the author or staff delete)",
                    404: "not_found",
                    429: "throttled",
                }
            ),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_review(review_id=pk, user=_signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductRatingView(KitViewMixin, APIView):
    """``GET``: a product's rating with its distribution."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="product_rating",
        responses={200: ProductRatingSerializer, **error_responses({404: "not_found"})},
    )
    def get(self, request: Request, product_id: int) -> Response:
        product = _visible_product(product_id)
        rating = getattr(product, "rating", None)
        return Response(rating_representation(rating))
