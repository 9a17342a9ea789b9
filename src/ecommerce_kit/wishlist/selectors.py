"""Read-only queries of the wishlist app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.selectors import list_available_products, with_api_relations
from ecommerce_kit.wishlist.models import WishlistItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def list_addable_products() -> QuerySet[Product]:
    """Products that may be added: available, and for a variant, its group active too."""
    return list_available_products().filter(Q(parent__isnull=True) | Q(parent__is_active=True))


def list_wishlist(*, user: AbstractBaseUser) -> QuerySet[WishlistItem]:
    """``user``'s wishlist, newest first, with each product ready for display.

    Inactive products stay in the list (shown with ``is_active: false``).
    """
    return (
        WishlistItem.objects.filter(user_id=user.pk)
        .order_by("-added_at", "-id")
        .prefetch_related(Prefetch("product", queryset=with_api_relations(Product.objects.all())))
    )
