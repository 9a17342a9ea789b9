"""Every write to wishlists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from ecommerce_kit.exceptions import NotFoundError, ProductUnavailableError
from ecommerce_kit.wishlist.models import WishlistItem
from ecommerce_kit.wishlist.selectors import list_addable_products

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


#: The largest primary key a BigAutoField holds.
_MAX_ID = 2**63 - 1


def add_to_wishlist(*, user: AbstractBaseUser, product_id: int) -> tuple[WishlistItem, bool]:
    """Put a product in ``user``'s wishlist; adding it again changes nothing.

    Concurrent adds of the same product leave one item (the unique constraint decides; the loser
    finds the winner's item).

    :raises ProductUnavailableError: the product is unknown or not available (400).
    :returns: The item and whether it was created now.
    """
    with transaction.atomic():
        if not list_addable_products().filter(pk=product_id).exists():
            raise ProductUnavailableError()
        return WishlistItem.objects.get_or_create(user_id=user.pk, product_id=product_id)


def remove_from_wishlist(*, user: AbstractBaseUser, product_id: int) -> None:
    """Take a product out of ``user``'s wishlist.

    :raises NotFoundError: it is not in the wishlist (404).
    """
    # An id no integer column can hold is in no wishlist (the database would refuse the query).
    if not 1 <= product_id <= _MAX_ID:
        raise NotFoundError(_("This product is not in your wishlist."))
    with transaction.atomic():
        deleted, _by_model = WishlistItem.objects.filter(
            user_id=user.pk, product_id=product_id
        ).delete()
    if not deleted:
        raise NotFoundError(_("This product is not in your wishlist."))
