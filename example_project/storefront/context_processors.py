"""Template context for every page of the example site: the shopper's cart size."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ecommerce_kit.cart.selectors import get_cart_summary
from storefront.cart import SESSION_KEY, current_cart


def shop(request: HttpRequest) -> dict[str, Any]:
    """``cart_count``: the number of items that can be checked out in the shopper's cart.

    Computed only when a template reads it (the admin and the API never do).
    """

    def cart_count() -> int:
        if not request.user.is_authenticated and not request.session.get(SESSION_KEY):
            return 0
        cart = current_cart(request, create=False)
        return get_cart_summary(cart).item_count if cart is not None else 0

    return {"cart_count": cart_count}
