"""The cart endpoints: ``cart/``, ``cart/items/``, ``cart/items/{id}/`` and ``cart/merge/``.

A signed-in client always works on its own cart and any ``X-Cart-Token`` it sends is ignored. An
anonymous client addresses its cart with ``X-Cart-Token``; a missing, unknown or signed-in user's
token is answered ``404 cart_not_found``. When the request has a session (``SessionMiddleware``),
the anonymous cart's token is remembered in it so that a session login merges the cart (see
:mod:`ecommerce_kit.cart.receivers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit.api.schema import extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart
from ecommerce_kit.cart.selectors import get_cart_summary
from ecommerce_kit.cart.serializers import (
    CartItemAddSerializer,
    CartItemUpdateSerializer,
    CartMergeSerializer,
    CartSerializer,
)
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import CartNotFoundError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

CART_TOKEN_HEADER = "X-Cart-Token"

TOKEN_PARAMETER = OpenApiParameter(
    name=CART_TOKEN_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The anonymous cart's token (from POST cart/). Ignored for signed-in clients.",
)
ERRORS = OpenApiResponse(description='Error: `{"error", "code", "status_code", ...}`')


def remember_cart_token(request: Request, cart: Cart) -> None:
    """Keep the anonymous ``cart``'s token in the request's session, if it has one."""
    session = getattr(request, "session", None)
    if session is None or cart.user_id is not None:
        return
    key = kit_settings.CART_SESSION_KEY
    if session.get(key) != cart.token:
        session[key] = cart.token


def get_request_cart(request: Request) -> Cart:
    """Return the cart a request works on: the user's own, or the anonymous one of its token.

    :raises CartNotFoundError: for an anonymous request without a token, or whose token is
        unknown or belongs to a user's cart.
    """
    if request.user.is_authenticated:
        return services.get_or_create_user_cart(user=request.user)
    token = request.headers.get(CART_TOKEN_HEADER, "").strip()
    if not token:
        raise CartNotFoundError(
            _("No cart: create one with POST cart/ and send its token in the X-Cart-Token header.")
        )
    cart = services.get_cart_by_token(token=token)
    remember_cart_token(request, cart)
    return cart


def cart_response(cart: Cart, status_code: int = status.HTTP_200_OK) -> Response:
    """Answer with the serialized ``cart``."""
    return Response(CartSerializer(get_cart_summary(cart)).data, status=status_code)


class CartBaseView(KitViewMixin, APIView):
    permission_classes = [AllowAny]
    throttle_scope = "ecommerce_kit.cart"


class CartView(CartBaseView):
    """The cart: create it (anonymous clients), read it, empty it."""

    @extend_schema(
        operation_id="cart_create",
        request=None,
        responses={201: CartSerializer, 200: CartSerializer},
        summary="Create a cart",
        description="Anonymous: create a new cart (201); send its `token` as `X-Cart-Token` on "
        "every cart call. Signed in: return the user's own cart (200).",
    )
    def post(self, request: Request) -> Response:
        if request.user.is_authenticated:
            return cart_response(services.get_or_create_user_cart(user=request.user))
        cart = services.create_anonymous_cart()
        remember_cart_token(request, cart)
        return cart_response(cart, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="cart_retrieve",
        summary="Read the cart",
        description="Signed in: the user's own cart. Anonymous: the cart of `X-Cart-Token`; a "
        "missing or unknown token is 404 `cart_not_found`.",
        parameters=[TOKEN_PARAMETER],
        responses={200: CartSerializer, 404: ERRORS},
    )
    def get(self, request: Request) -> Response:
        return cart_response(get_request_cart(request))

    @extend_schema(
        operation_id="cart_clear",
        summary="Empty the cart",
        parameters=[TOKEN_PARAMETER],
        responses={204: None, 404: ERRORS},
    )
    def delete(self, request: Request) -> Response:
        services.clear_cart(cart=get_request_cart(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemsView(CartBaseView):
    """Add a product to the cart (to its line, if it already has one)."""

    @extend_schema(
        operation_id="cart_items_create",
        summary="Add a product",
        description="Adding a product already in the cart adds to its quantity. 400 `invalid`, "
        "`product_unavailable`, `product_not_purchasable`; 409 `insufficient_stock` (with "
        "`available`), `currency_mismatch`, `cart_full`.",
        parameters=[TOKEN_PARAMETER],
        request=CartItemAddSerializer,
        responses={201: CartSerializer, 400: ERRORS, 404: ERRORS, 409: ERRORS},
    )
    def post(self, request: Request) -> Response:
        # A signed-in user's cart is found and locked by the service in one query.
        signed_in = request.user.is_authenticated
        cart = None if signed_in else get_request_cart(request)
        serializer = CartItemAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = services.add_item(
            cart=cart,
            user=cast("AbstractBaseUser", request.user) if signed_in else None,
            product_id=serializer.validated_data["product"],
            quantity=serializer.validated_data["quantity"],
        )
        return cart_response(cart, status.HTTP_201_CREATED)


class CartItemView(CartBaseView):
    """Change a cart line's quantity, or remove the line. A line of another cart is 404."""

    @extend_schema(
        operation_id="cart_items_partial_update",
        summary="Change a line's quantity",
        parameters=[TOKEN_PARAMETER],
        request=CartItemUpdateSerializer,
        responses={200: CartSerializer, 400: ERRORS, 404: ERRORS, 409: ERRORS},
    )
    def patch(self, request: Request, item_id: int) -> Response:
        cart = get_request_cart(request)
        serializer = CartItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart = services.set_item_quantity(
            cart=cart, item_id=item_id, quantity=serializer.validated_data["quantity"]
        )
        return cart_response(cart)

    @extend_schema(
        operation_id="cart_items_destroy",
        summary="Remove a line",
        parameters=[TOKEN_PARAMETER],
        responses={200: CartSerializer, 404: ERRORS},
    )
    def delete(self, request: Request, item_id: int) -> Response:
        cart = services.remove_item(cart=get_request_cart(request), item_id=item_id)
        return cart_response(cart)


class CartMergeView(CartBaseView):
    """Move an anonymous cart's lines into the signed-in user's cart."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cart_merge",
        summary="Merge an anonymous cart",
        description="Signed-in clients only. Moves the anonymous cart's lines into the user's "
        "cart (quantities add, capped by stock and the per-line maximum; lines that can no "
        "longer be bought are dropped) and deletes the anonymous cart.",
        request=CartMergeSerializer,
        responses={200: CartSerializer, 400: ERRORS, 401: ERRORS, 404: ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = CartMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        user = cast("AbstractBaseUser", request.user)
        result = services.merge_carts(user=user, source_token=token)
        session = getattr(request, "session", None)
        if session is not None and session.get(kit_settings.CART_SESSION_KEY) == token:
            del session[kit_settings.CART_SESSION_KEY]
        return cart_response(result.cart)
