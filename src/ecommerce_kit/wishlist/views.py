"""HTTP endpoints of the wishlist (thin: parse, authorize, call a service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit.api.schema import error_responses, extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.wishlist import selectors, services
from ecommerce_kit.wishlist.serializers import WishlistAddSerializer, WishlistItemSerializer

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _signed_in(request: Request) -> AbstractBaseUser:
    """The request's user, which ``IsAuthenticated`` has already required."""
    return cast("AbstractBaseUser", request.user)


class WishlistView(KitViewMixin, GenericAPIView):
    """``GET``: the user's wishlist. ``POST``: add a product (idempotent)."""

    permission_classes = [IsAuthenticated]
    serializer_class = WishlistItemSerializer

    @extend_schema(
        operation_id="wishlist_list",
        responses={
            200: WishlistItemSerializer(many=True),
            **error_responses(
                {
                    400: "invalid (bad page_size)",
                    401: "not_authenticated",
                    404: "not_found (page beyond the last)",
                }
            ),
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.list_wishlist(user=_signed_in(request)))
        return self.get_paginated_response(WishlistItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="wishlist_add",
        request=WishlistAddSerializer,
        responses={
            201: WishlistItemSerializer,
            200: WishlistItemSerializer,
            **error_responses({400: "invalid, product_unavailable", 401: "not_authenticated"}),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = WishlistAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _signed_in(request)
        item, created = services.add_to_wishlist(
            user=user, product_id=serializer.validated_data["product"]
        )
        item = selectors.list_wishlist(user=user).get(pk=item.pk)
        return Response(
            WishlistItemSerializer(item).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class WishlistItemView(KitViewMixin, APIView):
    """``DELETE``: take a product out of the wishlist."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="wishlist_remove",
        responses={
            204: None,
            **error_responses({401: "not_authenticated", 404: "not_found (not in the wishlist)"}),
        },
    )
    def delete(self, request: Request, product_id: int) -> Response:
        services.remove_from_wishlist(user=_signed_in(request), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
