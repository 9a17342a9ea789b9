"""The shopper's cart as the storefront keeps it: the user's cart, or an anonymous one.

An anonymous shopper's cart is addressed by its token, kept in the session; a signed-in shopper
has one cart (the kit's ``get_or_create_user_cart``). On sign-in the anonymous cart is merged into
the user's with the kit's ``merge_carts``.
"""

from __future__ import annotations

from django.http import HttpRequest

from ecommerce_kit.cart import services as cart_services
from ecommerce_kit.cart.models import Cart
from ecommerce_kit.cart.services import MergeResult
from ecommerce_kit.exceptions import CartNotFoundError

SESSION_KEY = "storefront_cart_token"


def current_cart(request: HttpRequest, *, create: bool) -> Cart | None:
    """The cart of this request's shopper; ``None`` when there is none and ``create`` is false."""
    user = request.user
    if user.is_authenticated:
        return cart_services.get_or_create_user_cart(user=user)
    token = request.session.get(SESSION_KEY)
    if token:
        try:
            return cart_services.get_cart_by_token(token=token)
        except CartNotFoundError:
            # Purged as stale, or merged in another session: start afresh.
            del request.session[SESSION_KEY]
    if not create:
        return None
    cart = cart_services.create_anonymous_cart()
    request.session[SESSION_KEY] = cart.token
    return cart


def merge_anonymous_cart(request: HttpRequest, token: str | None) -> MergeResult | None:
    """Merge the anonymous cart ``token`` (read before sign-in) into the signed-in user's cart."""
    if not token or not request.user.is_authenticated:
        return None
    try:
        return cart_services.merge_carts(user=request.user, source_token=token)
    except CartNotFoundError:
        return None
