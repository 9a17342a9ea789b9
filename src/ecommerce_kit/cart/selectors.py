"""Read-only cart queries: a cart's lines with live prices, availability and totals."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, QuerySet
from moneyed import Money

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.selectors import HasVariants, is_purchasable
from ecommerce_kit.money import quantize, total


@dataclass(frozen=True)
class CartLine:
    """One line of a cart as the shopper sees it, priced at the product's live price.

    ``available`` is ``False`` when the product can no longer be bought in this cart: it was
    deactivated, its group or store was, its store lost its approval, it became a group of
    variants, or it is now priced in another currency than the cart's. Such lines stay in the
    cart (so the shopper sees what happened) but count towards neither ``item_count`` nor
    ``subtotal``, and checkout refuses them.
    """

    item: CartItem
    product: Product
    quantity: int
    unit_price: Money
    line_total: Money
    available: bool

    @property
    def id(self) -> int:
        return self.item.pk


@dataclass(frozen=True)
class CartSummary:
    """A cart with its lines and totals; ``currency`` and ``subtotal`` are ``None`` when empty."""

    cart: Cart
    lines: list[CartLine]
    currency: str | None
    item_count: int
    subtotal: Money | None

    @property
    def token(self) -> str:
        return self.cart.token

    @property
    def updated_at(self) -> datetime:
        return self.cart.updated_at

    @property
    def available_lines(self) -> list[CartLine]:
        """The lines that can be checked out."""
        return [line for line in self.lines if line.available]


#: The columns a cart summary reads: the line, its product's name, price and availability, and
#: what availability looks at in its store and group (see :func:`is_line_available`).
SUMMARY_FIELDS = (
    "id",
    "cart_id",
    "product_id",
    "quantity",
    "created_at",
    "product__id",
    "product__name",
    "product__slug",
    "product__price",
    "product__price_currency",
    "product__stock_quantity",
    "product__is_active",
    "product__parent_id",
    "product__store_id",
    "product__store__id",
    "product__store__is_active",
    "product__store__is_approved",
    "product__parent__id",
    "product__parent__is_active",
)


@functools.cache
def _cart_items(order_by: tuple[str, ...], only: tuple[str, ...] | None) -> QuerySet[CartItem]:
    # Built once per process for each (order, columns) and filtered per cart: building the joins
    # and the subquery costs more than cloning the result.
    queryset = (
        CartItem.objects.select_related("product__store", "product__parent")
        .annotate(product_is_group=HasVariants(F("product_id")))
        .order_by(*order_by)
    )
    return queryset if only is None else queryset.only(*only)


def list_cart_items(
    cart: Cart,
    *,
    order_by: tuple[str, ...] = ("created_at", "id"),
    only: tuple[str, ...] | None = None,
) -> list[CartItem]:
    """Return the items of ``cart`` with what deciding their availability needs, in one query.

    Each item's product comes with its store and group, and with ``is_group`` set, which
    :func:`ecommerce_kit.catalog.selectors.is_group` reads instead of querying.

    :param order_by: The order of the lines (checkout sorts by product so that concurrent
        checkouts lock stock rows in the same order).
    :param only: Load only these columns (e.g. :data:`SUMMARY_FIELDS`); reading another one
        of the line, its product, store or group then costs a query.
    """
    columns = None if only is None else tuple(only)
    items: list[CartItem] = list(_cart_items(tuple(order_by), columns).filter(cart=cart))
    for item in items:
        item.product.is_group = item.product_is_group  # type: ignore[attr-defined]
    return items


def is_line_available(item: CartItem, currency: str) -> bool:
    """Whether ``item`` can be bought in a cart whose currency is ``currency``.

    ``item`` must come from :func:`list_cart_items` (or carry ``product.is_group``).
    """
    product = item.product
    return str(product.price_currency) == currency and is_purchasable(product)


def get_cart_summary(cart: Cart) -> CartSummary:
    """Price the lines of ``cart`` and total the available ones.

    Uses one query whatever the number of lines, which loads the columns of
    :data:`SUMMARY_FIELDS` only.

    :param cart: The cart to summarise.
    :returns: The lines in the order they were added, ``item_count`` (the sum of the quantities
        of available lines) and ``subtotal`` (the sum of their line totals, in the cart's
        currency).
    """
    items = list_cart_items(cart, only=SUMMARY_FIELDS)
    currency = cart.currency or None
    lines: list[CartLine] = []
    for item in items:
        product = item.product
        price: Money = product.price  # type: ignore[assignment]  # a djmoney MoneyField
        unit_price = quantize(price)
        lines.append(
            CartLine(
                item=item,
                product=product,
                quantity=item.quantity,
                unit_price=unit_price,
                line_total=quantize(unit_price * item.quantity),
                available=currency is not None and is_line_available(item, currency),
            )
        )
    available = [line for line in lines if line.available]
    subtotal = (
        total((line.line_total for line in available), currency) if currency is not None else None
    )
    return CartSummary(
        cart=cart,
        lines=lines,
        currency=currency,
        item_count=sum(line.quantity for line in available),
        subtotal=subtotal,
    )
