"""Cart services: every write to carts and their lines.

These are plain functions usable from a view, a Celery task, a management command or a host's own
code. Each runs in its own transaction and locks the cart row (``select_for_update``) before
reading its lines, so concurrent writes to one cart are serialized on PostgreSQL; on SQLite,
``transaction_mode="IMMEDIATE"`` serializes writers instead. Every rule that fails raises an error
from :mod:`ecommerce_kit.exceptions` and leaves the cart unchanged.

Functions that change a cart return the fresh cart and also copy its new ``currency`` and
``updated_at`` onto the instance they were given. Totals (line totals, item count, subtotal) are
read with :func:`ecommerce_kit.cart.selectors.get_cart_summary`.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.cart.selectors import is_line_available, list_cart_items
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.selectors import is_available, is_group, with_is_group
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import (
    CartItemNotFoundError,
    CartLimitError,
    CartMergeError,
    CartNotFoundError,
    CurrencyMismatchError,
    InsufficientStockError,
    InvalidInputError,
    ProductNotPurchasableError,
    ProductUnavailableError,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

__all__ = [
    "MergeResult",
    "add_item",
    "clear_cart",
    "create_anonymous_cart",
    "get_cart_by_token",
    "get_or_create_user_cart",
    "merge_carts",
    "purge_stale_carts",
    "remove_item",
    "set_item_quantity",
]

#: What a cart token may look like; anything else is answered as "not found" without a query.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: The largest primary key the database can hold; larger ids cannot exist.
MAX_ID = 2**63 - 1


# --- Lookup ----------------------------------------------------------------------------------


def get_or_create_user_cart(*, user: AbstractBaseUser) -> Cart:
    """Return the cart of ``user``, creating it on first use (safe against concurrent calls).

    :param user: A saved user.
    :returns: The user's one cart.
    """
    cart, _created = Cart.objects.get_or_create(user_id=user.pk)
    return cart


def create_anonymous_cart() -> Cart:
    """Create and return a cart without an owner, addressed by its token."""
    return Cart.objects.create()


def get_cart_by_token(*, token: str, user: AbstractBaseUser | None = None) -> Cart:
    """Return the cart with ``token`` if it is anonymous or belongs to ``user``.

    :param token: The cart's token, as given by the client.
    :param user: The signed-in user, if any; a cart owned by anyone else is never returned.
    :raises CartNotFoundError: when no such cart exists, or it belongs to someone else.
    """
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise CartNotFoundError()
    cart = Cart.objects.filter(token=token).first()
    if cart is None or (cart.user_id is not None and (user is None or cart.user_id != user.pk)):
        raise CartNotFoundError()
    return cart


# --- Validation helpers ----------------------------------------------------------------------


def _validate_quantity(quantity: Any) -> int:
    maximum = kit_settings.MAX_QUANTITY_PER_LINE
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInputError(fields={"quantity": [_("A valid integer is required.")]})
    if quantity < 1:
        raise InvalidInputError(
            fields={"quantity": [_("Ensure this value is greater than or equal to 1.")]}
        )
    if quantity > maximum:
        raise InvalidInputError(
            fields={
                "quantity": [
                    _("Ensure this value is less than or equal to %(max)d.") % {"max": maximum}
                ]
            }
        )
    return quantity


def _line_too_large(total_quantity: int) -> InvalidInputError:
    maximum = kit_settings.MAX_QUANTITY_PER_LINE
    return InvalidInputError(
        fields={
            "quantity": [
                _("This would put %(total)d in the line; a line holds at most %(max)d.")
                % {"total": total_quantity, "max": maximum}
            ]
        }
    )


def _lock(cart: Cart) -> Cart:
    """Lock and return a fresh copy of ``cart``; must run inside a transaction."""
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None:
        raise CartNotFoundError()
    return locked


def _lock_user_cart(user: AbstractBaseUser) -> Cart:
    """Lock and return the cart of ``user``, creating it first if needed; inside a transaction."""
    locked = Cart.objects.select_for_update().filter(user_id=user.pk).first()
    if locked is None:
        locked = _lock(get_or_create_user_cart(user=user))
    return locked


def _touch(cart: Cart, given: Cart, *, currency: str | None = None) -> Cart:
    """Save ``cart`` (bumping ``updated_at``), optionally with a new currency; sync ``given``."""
    if currency is not None:
        cart.currency = currency
    cart.save(update_fields=["currency", "updated_at"])
    given.currency = cart.currency
    given.updated_at = cart.updated_at
    return cart


@functools.cache
def _products() -> QuerySet[Product]:
    # Built once per process and cloned per call (building costs more than cloning).
    return with_is_group(Product.objects.select_related("store", "parent"))


def _load_product(product_id: Any, *, cart: Cart | None = None) -> Product:
    """Return the purchasable product ``product_id`` with its store and group.

    With ``cart``, the same query also tells what the cart holds: ``cart_line_id`` and
    ``cart_line_quantity`` (its line of this product, ``None`` without one) and
    ``cart_line_count`` (its number of lines).

    :raises ProductUnavailableError: when it is unknown, inactive, a variant of an inactive
        group, or sold by an inactive or unapproved store.
    :raises ProductNotPurchasableError: when it groups variants.
    """
    if (
        isinstance(product_id, bool)
        or not isinstance(product_id, int)
        or not (1 <= product_id <= MAX_ID)
    ):
        raise ProductUnavailableError()
    queryset = _products().all()
    if cart is not None:
        lines = CartItem.objects.filter(cart=cart).order_by()
        line = lines.filter(product=OuterRef("pk"))
        queryset = queryset.annotate(
            cart_line_id=Subquery(line.values("pk")[:1]),
            cart_line_quantity=Subquery(line.values("quantity")[:1]),
            cart_line_count=Coalesce(
                Subquery(lines.values("cart").annotate(n=Count("pk")).values("n")), 0
            ),
        )
    product = queryset.filter(pk=product_id).first()
    if product is None or not is_available(product):
        raise ProductUnavailableError()
    if is_group(product):
        raise ProductNotPurchasableError()
    return product


def _check_currency(cart: Cart, product: Product) -> None:
    if cart.currency and str(product.price_currency) != cart.currency:
        raise CurrencyMismatchError(
            cart_currency=cart.currency, product_currency=str(product.price_currency)
        )


def _check_stock(product: Product, quantity: int) -> None:
    if quantity > product.stock_quantity:
        raise InsufficientStockError(available=max(product.stock_quantity, 0))


# --- Lines -----------------------------------------------------------------------------------


def _find_line(cart: Cart, product: Product) -> CartItem | None:
    return CartItem.objects.filter(cart=cart, product=product).first()


def add_item(
    *,
    cart: Cart | None = None,
    product_id: int,
    quantity: int,
    user: AbstractBaseUser | None = None,
) -> Cart:
    """Add ``quantity`` of a product to ``cart``; a product already there adds to its line.

    The line's resulting quantity must be at most ``MAX_QUANTITY_PER_LINE`` and at most the
    product's stock. The first line sets the cart's currency. Concurrent adds of one product to
    one cart end with one line holding the sum.

    :param cart: The cart to add to; or, instead, ``user``:
    :param user: A saved user whose own cart (created on first use) is added to: the cart is
        found and locked in one query.
    :param product_id: The product's id.
    :param quantity: An integer from 1 to ``MAX_QUANTITY_PER_LINE``.
    :returns: The updated cart.
    :raises InvalidInputError: for a quantity out of bounds, or a line that would exceed it.
    :raises ProductUnavailableError: for an unknown or unavailable product.
    :raises ProductNotPurchasableError: for a group of variants.
    :raises CurrencyMismatchError: for a product in another currency than the cart's.
    :raises InsufficientStockError: when the line would hold more than the stock.
    :raises CartLimitError: when the cart already has ``CART_MAX_LINES`` lines.
    :raises CartNotFoundError: when the cart was deleted meanwhile.
    """
    if (cart is None) == (user is None):
        raise TypeError("add_item() takes a cart or a user, not both")
    quantity = _validate_quantity(quantity)
    with transaction.atomic():
        locked = _lock(cart) if cart is not None else _lock_user_cart(user)  # type: ignore[arg-type]
        cart = cart or locked
        # One query for the product and for the cart's line of it and its number of lines.
        product = _load_product(product_id, cart=locked)
        _check_currency(locked, product)
        line_id: int | None = product.cart_line_id  # type: ignore[attr-defined]
        line_quantity: int = product.cart_line_quantity or 0  # type: ignore[attr-defined]
        # Two passes at most: if another writer created the line between our read and our insert
        # (possible only where the cart lock is not honoured), the unique constraint stops the
        # insert and the second pass adds to the line it created.
        for attempt in range(2):
            new_quantity = quantity + line_quantity
            if new_quantity > kit_settings.MAX_QUANTITY_PER_LINE:
                raise _line_too_large(new_quantity)
            _check_stock(product, new_quantity)
            if line_id is not None:
                CartItem.objects.filter(pk=line_id).update(
                    quantity=F("quantity") + quantity, updated_at=timezone.now()
                )
                break
            if product.cart_line_count >= kit_settings.CART_MAX_LINES:  # type: ignore[attr-defined]
                raise CartLimitError(max_lines=kit_settings.CART_MAX_LINES)
            try:
                with transaction.atomic():
                    CartItem.objects.create(cart=locked, product=product, quantity=quantity)
            except IntegrityError:
                line = None if attempt else _find_line(locked, product)
                if line is None:
                    raise
                line_id, line_quantity = line.pk, line.quantity
                continue
            break
        return _touch(locked, cart, currency=str(product.price_currency))


def _get_item(cart: Cart, item_id: Any) -> CartItem:
    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 1 <= item_id <= MAX_ID:
        raise CartItemNotFoundError()
    item = CartItem.objects.filter(cart=cart, pk=item_id).first()
    if item is None:
        raise CartItemNotFoundError()
    return item


def set_item_quantity(*, cart: Cart, item_id: int, quantity: int) -> Cart:
    """Set the quantity of line ``item_id`` of ``cart``.

    The product must still be purchasable in the cart's currency and have enough stock.

    :returns: The updated cart.
    :raises InvalidInputError: for a quantity out of bounds.
    :raises CartItemNotFoundError: when the line is not in this cart.
    :raises ProductUnavailableError: when the product can no longer be bought.
    :raises ProductNotPurchasableError: when the product has become a group of variants.
    :raises CurrencyMismatchError: when the product is now priced in another currency.
    :raises InsufficientStockError: when the stock is smaller than ``quantity``.
    """
    quantity = _validate_quantity(quantity)
    with transaction.atomic():
        locked = _lock(cart)
        item = _get_item(locked, item_id)
        product = _load_product(item.product_id)
        _check_currency(locked, product)
        _check_stock(product, quantity)
        item.quantity = quantity
        item.save(update_fields=["quantity", "updated_at"])
        return _touch(locked, cart)


def remove_item(*, cart: Cart, item_id: int) -> Cart:
    """Remove line ``item_id`` from ``cart``; removing the last line resets the currency.

    :returns: The updated cart.
    :raises CartItemNotFoundError: when the line is not in this cart.
    """
    with transaction.atomic():
        locked = _lock(cart)
        item = _get_item(locked, item_id)
        item.delete()
        empty = not CartItem.objects.filter(cart=locked).exists()
        return _touch(locked, cart, currency="" if empty else None)


def clear_cart(*, cart: Cart) -> Cart:
    """Remove every line of ``cart`` and reset its currency (the cart itself stays).

    Checkout calls this inside its own transaction once the order is placed.

    :returns: The emptied cart.
    """
    with transaction.atomic():
        locked = _lock(cart)
        CartItem.objects.filter(cart=locked).delete()
        return _touch(locked, cart, currency="")


# --- Merge -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """What :func:`merge_carts` did.

    :ivar cart: The user's cart after the merge.
    :ivar merged: Ids of the products whose lines were moved or added to.
    :ivar dropped: Ids of the products left behind: unavailable, in another currency, out of
        stock, or beyond ``CART_MAX_LINES``.
    """

    cart: Cart
    merged: tuple[int, ...]
    dropped: tuple[int, ...]


def merge_carts(*, user: AbstractBaseUser, source_token: str) -> MergeResult:
    """Move the lines of the anonymous cart ``source_token`` into the cart of ``user``.

    Quantities of a product in both carts add up; every resulting line is capped by the product's
    stock and by ``MAX_QUANTITY_PER_LINE`` (a line already in the user's cart is never reduced).
    Lines whose product can no longer be bought, or is priced in another currency than the user's
    cart, are dropped, as are new lines beyond ``CART_MAX_LINES``. The anonymous cart is deleted.
    An empty user cart takes the anonymous cart's currency.

    :param user: The signed-in user whose cart receives the lines (created if needed).
    :param source_token: The token of the anonymous cart.
    :returns: The merged cart and the product ids that were merged or dropped.
    :raises CartNotFoundError: when ``source_token`` is unknown or is another user's cart.
    :raises CartMergeError: when ``source_token`` is the user's own cart.
    """
    if not isinstance(source_token, str) or not TOKEN_RE.match(source_token):
        raise CartNotFoundError()
    target_unlocked = get_or_create_user_cart(user=user)
    with transaction.atomic():
        # Lock order: the anonymous source first, then the user's cart. Both kinds of cart are
        # otherwise locked alone, so no two writers can wait on each other.
        source = Cart.objects.select_for_update().filter(token=source_token).first()
        if source is None:
            raise CartNotFoundError()
        if source.user_id is not None:
            if source.user_id == user.pk:
                raise CartMergeError(_("A cart cannot be merged into itself."))
            raise CartNotFoundError()
        target = _lock(target_unlocked)

        target_lines = {item.product_id: item for item in CartItem.objects.filter(cart=target)}
        currency = target.currency or source.currency
        line_count = len(target_lines)
        maximum = kit_settings.MAX_QUANTITY_PER_LINE
        now = timezone.now()
        to_create: list[CartItem] = []
        to_update: list[CartItem] = []
        merged: list[int] = []
        dropped: list[int] = []
        for item in list_cart_items(source):
            product = item.product
            product.is_group = item.product_is_group  # type: ignore[attr-defined]
            existing = target_lines.get(product.pk)
            if not currency or not is_line_available(item, currency):
                dropped.append(product.pk)
                continue
            cap = min(product.stock_quantity, maximum)
            if existing is not None:
                new_quantity = max(existing.quantity, min(existing.quantity + item.quantity, cap))
                if new_quantity != existing.quantity:
                    existing.quantity = new_quantity
                    existing.updated_at = now
                    to_update.append(existing)
                merged.append(product.pk)
                continue
            new_quantity = min(item.quantity, cap)
            if new_quantity < 1 or line_count >= kit_settings.CART_MAX_LINES:
                dropped.append(product.pk)
                continue
            to_create.append(CartItem(cart=target, product=product, quantity=new_quantity))
            line_count += 1
            merged.append(product.pk)

        source.delete()
        if to_create:
            CartItem.objects.bulk_create(to_create)
        if to_update:
            CartItem.objects.bulk_update(to_update, ["quantity", "updated_at"])
        _touch(target, target_unlocked, currency=currency if line_count else "")
    if dropped:
        logger.info("Cart merge into user %s dropped products %s", user.pk, dropped)
    return MergeResult(cart=target, merged=tuple(merged), dropped=tuple(dropped))


# --- Stale carts -----------------------------------------------------------------------------


def purge_stale_carts(
    *, older_than: timedelta | None = None, batch_size: int = 1000, dry_run: bool = False
) -> int:
    """Delete anonymous carts not modified for ``older_than`` (default ``CART_TTL``).

    Carts are deleted in batches of ``batch_size``, each in its own short transaction; carts
    owned by a user are never deleted. A cart being written to while its batch is deleted is
    either kept (if the write committed first) or deleted whole.

    :param older_than: The age, from the last change, past which an anonymous cart is stale.
    :param batch_size: How many carts one transaction deletes.
    :param dry_run: Only count the stale carts.
    :returns: The number of carts deleted (or that would be, for a dry run).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cutoff = timezone.now() - (older_than if older_than is not None else kit_settings.CART_TTL)
    stale = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff)
    if dry_run:
        return stale.count()
    removed = 0
    while True:
        with transaction.atomic():
            ids = list(
                stale.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            _count, per_model = Cart.objects.filter(pk__in=ids).delete()
            removed += per_model.get(Cart._meta.label, 0)
    return removed
