"""Checkout and every order and fulfilment transition.

Rules kept here:

- Stock is reserved at checkout with one conditional ``UPDATE`` per line (no read-modify-write),
  inside the transaction that creates the order; a short line aborts everything. It is given back
  exactly once, by the cancellation, guarded by a conditional update of ``Order.stock_released``.
- The payments app records money; this app reacts (:func:`apply_money_status`, called through
  the ``order_money_changed`` hook in the payments' transaction) and announces cancelled goods
  (the ``fulfilments_cancelled`` hook, in the cancelling transaction). Neither imports the other's
  services.
- Every transition writes an audit row in its transaction; observer hooks run after the commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm
from moneyed import Money

from ecommerce_kit import money, plugins
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.cart.selectors import list_cart_items
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.selectors import is_purchasable
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import (
    CartEmptyError,
    InsufficientStockError,
    InvalidTransitionError,
    NotFoundError,
    PaymentMissingError,
    PriceChangedError,
    ProductUnavailableError,
    UnknownPaymentMethodError,
)
from ecommerce_kit.orders.audit import record_transition
from ecommerce_kit.orders.models import (
    FULFILLABLE_ORDER_STATUSES,
    Fulfilment,
    Order,
    OrderItem,
    can_fulfil,
)
from ecommerce_kit.orders.numbers import new_order_number
from ecommerce_kit.orders.selectors import cache_related
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from ecommerce_kit.payments.ledger import OrderMoney

    Actor = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger(__name__)

_NUMBER_ATTEMPTS = 5

#: How far each order status is along the fulfilment path, and the transition that reaches it.
_FULFILMENT_PATH: tuple[tuple[str, str], ...] = (
    (OrderStatus.CONFIRMED, ""),
    (OrderStatus.PROCESSING, "start_processing"),
    (OrderStatus.SHIPPED, "ship"),
    (OrderStatus.DELIVERED, "deliver"),
)


def _money_json(value: Money) -> dict[str, str]:
    value = money.quantize(value)
    return {"amount": f"{value.amount:f}", "currency": str(value.currency)}


# --- Checkout --------------------------------------------------------------------------------


def _ensure_payment_method(payment_method: str, currency: str) -> None:
    """Fail before anything is reserved when the gateway is unknown or refuses ``currency``."""
    gateways = plugins.list_gateways(currency=currency)
    if not any(gateway.id == payment_method for gateway in gateways):
        raise UnknownPaymentMethodError(payment_method=payment_method)


def _line_total(line: CartItem) -> Money:
    price = cast(Money, line.product.price)  # a MoneyField reads as Money
    return money.quantize(price * line.quantity)


def _reserve_stock(lines: list[CartItem]) -> None:
    """Take each line's quantity off its product's stock, or fail listing every short line."""
    short: list[CartItem] = []
    for line in lines:
        updated = Product.objects.filter(
            pk=line.product_id, stock_quantity__gte=line.quantity
        ).update(stock_quantity=F("stock_quantity") - line.quantity)
        if not updated:
            short.append(line)
    if short:
        available = dict(
            Product.objects.filter(pk__in=[line.product_id for line in short]).values_list(
                "pk", "stock_quantity"
            )
        )
        raise InsufficientStockError(
            lines=[
                {
                    "product": line.product_id,
                    "requested": line.quantity,
                    "available": max(int(available.get(line.product_id, 0)), 0),
                }
                for line in short
            ]
        )


def _create_order(**fields: Any) -> Order:
    for attempt in range(_NUMBER_ATTEMPTS):
        number = new_order_number()
        try:
            with transaction.atomic():
                return Order.objects.create(number=number, **fields)
        except IntegrityError:
            if attempt == _NUMBER_ATTEMPTS - 1 or not Order.objects.filter(number=number).exists():
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def compute_totals(
    *, cart: Cart, lines: list[CartItem], address: dict[str, Any]
) -> dict[str, Money]:
    """Price the cart on the server: subtotal, shipping and tax (plugins first), total.

    :returns: ``{"subtotal", "shipping", "tax", "total"}``, each a :class:`~moneyed.Money`.
    :raises CurrencyMismatchError: when the lines' prices are in different currencies.
    """
    currency = cart.currency or lines[0].product.price_currency
    subtotal = money.total((_line_total(line) for line in lines), currency)
    shipping = plugins.calculate_shipping(cart=cart, address=address, subtotal=subtotal)
    if shipping is None:
        shipping = Money(kit_settings.DEFAULT_SHIPPING_COST, currency)
    shipping = money.quantize(shipping)
    tax = plugins.calculate_tax(cart=cart, address=address, subtotal=subtotal, shipping=shipping)
    if tax is None:
        tax = subtotal * kit_settings.DEFAULT_TAX_RATE
    tax = money.quantize(tax)
    return {
        "subtotal": subtotal,
        "shipping": shipping,
        "tax": tax,
        "total": money.total([subtotal, shipping, tax], currency),
    }


@functools.cache
def _locked_cart() -> QuerySet[Cart]:
    # Built once per process and filtered per checkout: a user's cart, locked, with ``stale``
    # telling whether orders of theirs gave their lines back to it and still wait, pending.
    stale = Order.objects.filter(
        buyer_id=OuterRef("user_id"), status=OrderStatus.PENDING, lines_returned=True
    )
    return Cart.objects.select_for_update(of=("self",)).annotate(stale=Exists(stale))


def place_order(
    *,
    user: AbstractBaseUser,
    shipping_address: dict[str, Any],
    expected_total: Money | None,
    idempotency_key: str | None,
    payment_method: str,
    then: Callable[[Order], object] | None = None,
) -> tuple[Order, Cart, list[tuple[int, int]]]:
    """Re-read the user's cart, price it, reserve stock, record the order and take the lines out
    of the cart, in one transaction (the first half of checkout; the payments app starts the
    payment).

    The cart row is locked first, so checkouts of one cart (a double-clicked "Place order") and
    cart changes run one after the other: a second checkout finds the cart empty instead of
    placing the same lines again. :func:`give_lines_back` returns them when the payment fails.
    An earlier order of the user whose lines went back to the cart that way (its payment failed)
    and that is still unpaid is cancelled first, so its stock is never held twice.

    The order is returned with its ``items`` and ``fulfilments`` (with their stores) loaded.

    :param then: Called with the new order inside the transaction, last (the payments app records
        the order's payment there); an exception it raises undoes everything.
    :returns: The order, the cart, and the ``(product id, quantity)`` of each line taken out.
    :raises CartEmptyError: no cart, or no lines in it.
    :raises ProductUnavailableError: a line's product is no longer sold (``lines`` lists them).
    :raises PriceChangedError: ``expected_total`` differs (the current totals come with it).
    :raises UnknownPaymentMethodError: unknown gateway, or it does not take the cart's currency.
    :raises InsufficientStockError: with ``lines`` listing every short line; nothing is reserved.
    """
    stale = Order.objects.filter(buyer_id=user.pk, status=OrderStatus.PENDING, lines_returned=True)
    for attempt in range(2):
        with transaction.atomic():
            # Serialize against writes to the same cart (adds, merges, other checkouts of it)
            # while it is being ordered; the same statement tells whether stale orders wait.
            cart = _locked_cart().filter(user_id=user.pk).first()
            if cart is None:
                raise CartEmptyError()
            if not (cart.stale and attempt == 0):  # type: ignore[attr-defined]
                return _place(
                    user=user,
                    cart=cart,
                    shipping_address=shipping_address,
                    expected_total=expected_total,
                    idempotency_key=idempotency_key,
                    payment_method=payment_method,
                    then=then,
                )
        # Cancelled outside the cart's lock (each in its own transaction), then the cart again.
        for stale_id in stale.values_list("pk", flat=True):
            try:
                _cancel(
                    order_id=stale_id,
                    actor=None,
                    note="Superseded by a new checkout of the same cart.",
                    only_from=OrderStatus.PENDING,
                )
            except (InvalidTransitionError, NotFoundError):
                continue
    raise AssertionError("unreachable")  # pragma: no cover


def _place(
    *,
    user: AbstractBaseUser,
    cart: Cart,
    shipping_address: dict[str, Any],
    expected_total: Money | None,
    idempotency_key: str | None,
    payment_method: str,
    then: Callable[[Order], object] | None,
) -> tuple[Order, Cart, list[tuple[int, int]]]:
    """:func:`place_order` once the cart is locked (inside its transaction)."""
    # Sorted by product so that concurrent checkouts update stock rows in the same order (no
    # deadlock on PostgreSQL).
    lines = list_cart_items(cart, order_by=("product_id",))
    if not lines:
        raise CartEmptyError()
    # A line in another currency than the cart's is reported as currency_mismatch by
    # compute_totals below, so only purchasability is checked here.
    unavailable = [line for line in lines if not is_purchasable(line.product)]
    if unavailable:
        raise ProductUnavailableError(
            _("Some products in the cart are no longer available; remove them and retry."),
            lines=[{"product": line.product_id} for line in unavailable],
        )
    totals = compute_totals(cart=cart, lines=lines, address=shipping_address)
    line_totals = [_line_total(line) for line in lines]
    money.ensure_fits(*line_totals, *totals.values())
    currency = str(totals["total"].currency)
    if expected_total is not None and (
        str(expected_total.currency) != currency
        or money.quantize(expected_total).amount != totals["total"].amount
    ):
        raise PriceChangedError(**{name: _money_json(value) for name, value in totals.items()})
    _ensure_payment_method(payment_method, currency)

    order = _create_order(
        buyer=user,
        currency=currency,
        shipping_address=shipping_address,
        idempotency_key=idempotency_key or "",
        language=translation.get_language() or "",
        **totals,
    )
    stores = {line.product.store_id: line.product.store for line in lines}
    fulfilments = Fulfilment.objects.bulk_create(
        [Fulfilment(order=order, store=stores[store_id]) for store_id in sorted(stores)]
    )
    by_store = {fulfilment.store_id: fulfilment for fulfilment in fulfilments}
    items = OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                product_id=line.product_id,
                store_id=line.product.store_id,
                fulfilment=by_store[line.product.store_id],
                product_name=line.product.name,
                unit_price=line.product.price,
                quantity=line.quantity,
                line_total=line_total,
            )
            for line, line_total in zip(lines, line_totals, strict=True)
        ]
    )
    # What the order's representation shows, as written: no need to read it back.
    cache_related(order, "items", items)
    cache_related(order, "fulfilments", fulfilments)
    record_transition(
        order=order,
        subject="order",
        subject_id=order.pk,
        transition="place",
        source="",
        target=order.status,
        actor=user,
    )
    # Every line of the locked cart became the order: the cart is now empty.
    CartItem.objects.filter(pk__in=[line.pk for line in lines]).delete()
    Cart.objects.filter(pk=cart.pk).update(currency="", updated_at=timezone.now())
    if then is not None:
        then(order)
    # Last, so that the stock rows stay locked (by the updates) only until the commit that
    # follows: concurrent checkouts of a popular product wait for each other as little as possible.
    _reserve_stock(lines)
    return order, cart, [(line.product_id, line.quantity) for line in lines]


def give_lines_back(
    *, cart: Cart, lines: list[tuple[int, int]], currency: str, order: Order | None = None
) -> None:
    """Put the lines of an order whose payment failed back into the cart they came from.

    ``order``, when still pending, is marked so that the next checkout of the cart cancels it.

    A product added to the cart again meanwhile gets the quantities added up (capped by
    ``MAX_QUANTITY_PER_LINE``). When the cart has meanwhile been filled in another currency, the
    lines are not put back (a cart holds one currency).
    """
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
        if locked is None:
            return
        if locked.currency and locked.currency != currency:
            logger.warning(
                "Cart %s is now in %s; the %s lines of a failed checkout were not put back.",
                locked.pk,
                locked.currency,
                currency,
            )
            return
        existing = {item.product_id: item for item in CartItem.objects.filter(cart=locked)}
        maximum = kit_settings.MAX_QUANTITY_PER_LINE
        now = timezone.now()
        to_update: list[CartItem] = []
        to_create: list[CartItem] = []
        for product_id, quantity in lines:
            item = existing.get(product_id)
            if item is None:
                to_create.append(CartItem(cart=locked, product_id=product_id, quantity=quantity))
                continue
            item.quantity = max(item.quantity, min(item.quantity + quantity, maximum))
            item.updated_at = now
            to_update.append(item)
        CartItem.objects.bulk_create(to_create)
        if to_update:
            CartItem.objects.bulk_update(to_update, ["quantity", "updated_at"])
        Cart.objects.filter(pk=locked.pk).update(currency=currency, updated_at=now)
        if order is not None:
            Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(
                lines_returned=True
            )


# --- Money --------------------------------------------------------------------------------


def apply_money_status(*, order: Order, money: OrderMoney, actor: Actor) -> None:
    """Store what the payments hold for ``order`` (locked) and let its status follow.

    Called by the payments app, in its transaction, each time the ledger of one of the order's
    payments changes. Until something ships, the status is a function of the money held and of
    whether a store has started on it, never of the order in which payments' events arrived:

    ==================================== ======================== ===========================
    money held                           no fulfilment started    a fulfilment started
    ==================================== ======================== ===========================
    covers what is owed                  ``confirmed``            ``processing``
    some, not enough                     ``on_hold``              ``on_hold``
    none                                 ``pending`` (payable)    ``on_hold``
    ==================================== ======================== ===========================

    Nothing can be processed or shipped while the order is on hold. A shipped or delivered order
    cannot go back: its money status shows the shortfall to staff; a cancelled one stays
    cancelled (the payments app gives its money back).
    """
    fields = {
        "charge_status": money.charge_status,
        "authorize_status": money.authorize_status,
        "charged": money.charged,
        "refunded": money.refunded,
        "held": money.held,
        "credited": money.credited,
    }
    changed = [name for name, value in fields.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, fields[name])
    covered = money.covered and (money.held.amount > 0 or money.due.amount <= 0)
    source = order.status
    reason = ""
    if not covered and money.held.amount > 0:
        reason = _("Held %(held)s of %(due)s owed.") % {
            "held": _money_text(money.held),
            "due": _money_text(money.due),
        }
    target = _money_target(order, covered=covered, held=money.held.amount > 0)
    if target is None:
        if not covered and source in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            logger.error("Order %s is %s but %s", order.number, source, reason)
    elif target != source:
        name = _MONEY_TRANSITIONS[target]
        getattr(order, name)(target) if name in ("resume", "reopen") else getattr(order, name)()
        _log_order_transition(
            order=order, transition=name, source=source, actor=actor, note=str(reason)
        )
        changed.append("status")
    if order.status in (OrderStatus.CANCELLED, OrderStatus.PENDING) or covered:
        reason = ""
    if order.hold_reason != reason:
        order.hold_reason = str(reason)[:255]
        changed.append("hold_reason")
    if changed:
        order.save(update_fields=[*changed, "updated_at"])


#: The transition that takes an order to each status its money decides.
_MONEY_TRANSITIONS: dict[str, str] = {
    OrderStatus.CONFIRMED: "confirm",
    OrderStatus.PROCESSING: "resume",
    OrderStatus.ON_HOLD: "hold",
    OrderStatus.PENDING: "reopen",
}


def _money_target(order: Order, *, covered: bool, held: bool) -> str | None:
    """The status the (locked) order's money decides, or ``None`` when money moves it no more."""
    if order.status not in _MONEY_STATUSES:
        return None
    if order.status == OrderStatus.ON_HOLD:
        statuses = Fulfilment.objects.filter(order=order).values_list("status", flat=True)
        started = order_status_for(list(statuses)) != OrderStatus.CONFIRMED
    else:  # pending and confirmed orders have no fulfilment started; processing ones have
        started = order.status == OrderStatus.PROCESSING
    if covered:
        if order.status == OrderStatus.PENDING:
            return OrderStatus.CONFIRMED
        return OrderStatus.PROCESSING if started else OrderStatus.CONFIRMED
    if held or started:
        return OrderStatus.ON_HOLD
    return OrderStatus.PENDING


#: The statuses an order's money moves it between.
_MONEY_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.PROCESSING,
    OrderStatus.ON_HOLD,
)


def _money_text(value: Money) -> str:
    return f"{money.quantize(value).amount:f} {value.currency}"


# --- Order transitions -----------------------------------------------------------------------


def cancel_order(
    *,
    order_id: int,
    actor: Actor,
    note: str = "",
    refund: Money | None = None,
    only_from: str | None = None,
) -> Order:
    """Cancel what has not shipped of an order: its stock comes back, its money is given back.

    Only fulfilments that have not shipped are cancelled, and only their lines are restocked
    (once each). When nothing had shipped, the order is ``cancelled`` and everything its payments
    hold is given back (authorizations voided, captures refunded, a payment that could still be
    completed voided). When part of it had shipped, the order goes on with that part (``shipped``
    or ``delivered``) and the cancelled part's share is refunded: its lines, plus shipping and tax
    in proportion to its lines' value (:func:`share_of`), or ``refund`` when staff choose another
    amount. The money is given back by the payments app after the commit.

    Staff may cancel up to ``processing`` (and ``on_hold``); the buyer while the order is
    ``pending``, ``confirmed`` or ``on_hold``; ``actor=None`` is the system (timeouts, declines).

    :param refund: For a partly shipped order: the amount to refund instead of the share.
    :param only_from: Cancel only if the order is in this status.
    :raises InvalidTransitionError: the order cannot be cancelled (by this actor) now.
    """
    return _cancel(order_id=order_id, actor=actor, note=note, only_from=only_from, refund=refund)


def cancel_fulfilment(
    *, fulfilment_id: int, actor: Actor, note: str = "", refund: Money | None = None
) -> Fulfilment:
    """Cancel one store's part of an order before it ships (the store's owner or staff).

    Its lines are restocked and its share refunded (:func:`cancel_order` for the rules); when it
    was the last part not cancelled, the whole order is cancelled.

    :raises NotFoundError: no such fulfilment.
    :raises InvalidTransitionError: it has shipped, or ``actor`` may not cancel it.
    """
    with transaction.atomic():
        order_id = (
            Fulfilment.objects.filter(pk=fulfilment_id).values_list("order_id", flat=True).first()
        )
        if order_id is None:
            raise NotFoundError()
        order = Order.objects.select_for_update().get(pk=order_id)
        fulfilments = list(
            Fulfilment.objects.select_for_update(of=("self",))
            .select_related("store")
            .filter(order=order)
            .order_by("id")
        )
        fulfilment = next(f for f in fulfilments if f.pk == fulfilment_id)
        fulfilment.order = order
        user = _user_or_none(actor)
        if user is not None and not can_fulfil(fulfilment, user):
            raise InvalidTransitionError(status=fulfilment.status)
        if not can_proceed(fulfilment.cancel) or order.status == OrderStatus.CANCELLED:
            raise InvalidTransitionError(status=fulfilment.status)
        _cancel_fulfilments(
            order=order,
            fulfilments=fulfilments,
            cancel=[fulfilment],
            actor=actor,
            note=note,
            refund=refund,
        )
    return fulfilment


def _cancel(
    *,
    order_id: int,
    actor: Actor,
    note: str,
    only_from: str | None = None,
    refund: Money | None = None,
) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise NotFoundError()
        if only_from is not None and order.status != only_from:
            raise InvalidTransitionError(status=order.status)
        if not _may_apply(order.cancel, actor):
            raise InvalidTransitionError(status=order.status)
        fulfilments = list(
            Fulfilment.objects.select_for_update().filter(order=order).order_by("id")
        )
        cancel = [f for f in fulfilments if f.status in CANCELLABLE_FULFILMENTS]
        if not cancel:
            raise InvalidTransitionError(status=order.status)
        _cancel_fulfilments(
            order=order,
            fulfilments=fulfilments,
            cancel=cancel,
            actor=actor,
            note=note,
            refund=refund,
        )
    return order


#: Fulfilment statuses that can still be cancelled (nothing has left the store).
CANCELLABLE_FULFILMENTS = (FulfilmentStatus.PENDING, FulfilmentStatus.PROCESSING)


def _cancel_fulfilments(
    *,
    order: Order,
    fulfilments: list[Fulfilment],
    cancel: list[Fulfilment],
    actor: Actor,
    note: str,
    refund: Money | None,
) -> None:
    """Cancel ``cancel`` (of the locked order's ``fulfilments``), restock their lines, move the
    order, and announce the cancelled goods to the payments app (same transaction)."""
    for fulfilment in cancel:
        source = fulfilment.status
        fulfilment.cancel()
        fulfilment.save(update_fields=["status", "updated_at"])
        _release_stock(fulfilment)
        _log_fulfilment_transition(
            order=order,
            fulfilment=fulfilment,
            transition="cancel",
            source=source,
            actor=actor,
            note=note,
        )
    live = [f for f in fulfilments if f.status != FulfilmentStatus.CANCELLED]
    source = order.status
    everything = not live
    share = share_of(order, [f.pk for f in cancel])
    if everything:
        order.cancel()
        order.save(update_fields=["status", "updated_at"])
        _log_order_transition(
            order=order, transition="cancel", source=source, actor=actor, note=note
        )
    else:
        order.cancelled_amount = order.cancelled_amount + (refund if refund is not None else share)
        if order.cancelled_amount > order.total:
            order.cancelled_amount = order.total
        order.save(update_fields=["cancelled_amount", "updated_at"])
        _follow_fulfilments(order=order, actor=actor)
    plugins.announce_fulfilments_cancelled(
        order=order,
        amount=share,
        everything=everything,
        refund=refund,
        actor=_user_or_none(actor),
    )


def share_of(order: Order, fulfilment_ids: list[int]) -> Money:
    """The share of the order's total that belongs to some of its fulfilments.

    Their lines' value, plus the order's shipping and tax in proportion to it (each rounded half
    up to the currency's minor units). The shares of all fulfilments add up to the total, give or
    take the rounding of those two proportions; the share of every fulfilment is the total.
    """
    ids = set(fulfilment_ids)
    lines = list(OrderItem.objects.filter(order=order).values_list("fulfilment_id", "line_total"))
    if ids >= {fulfilment_id for fulfilment_id, _value in lines}:
        return order.total
    part = sum((value for fulfilment_id, value in lines if fulfilment_id in ids), Decimal(0))
    subtotal = order.subtotal.amount
    if part <= 0 or subtotal <= 0:
        return Money(part, order.currency)
    ratio = part / subtotal
    extra = money.quantize(order.shipping * ratio) + money.quantize(order.tax * ratio)
    return money.quantize(Money(part, order.currency) + extra)


def _release_stock(fulfilment: Fulfilment) -> None:
    """Give the fulfilment's reserved stock back once (its flag flips in one UPDATE)."""
    if not Fulfilment.objects.filter(pk=fulfilment.pk, stock_released=False).update(
        stock_released=True
    ):
        return
    fulfilment.stock_released = True
    lines = OrderItem.objects.filter(fulfilment=fulfilment).order_by("product_id")
    for product_id, quantity in lines.values_list("product_id", "quantity"):
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + quantity)


def cancel_unpaid_orders() -> int:
    """Cancel the ``pending`` orders older than ``PAYMENT_TIMEOUT``, restoring their stock.

    Safe to run concurrently and repeatedly: an order paid or cancelled meanwhile is skipped.

    :returns: How many orders were cancelled.
    """
    cutoff = timezone.now() - kit_settings.PAYMENT_TIMEOUT
    order_ids = list(
        Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    cancelled = 0
    for order_id in order_ids:
        try:
            _cancel(
                order_id=order_id,
                actor=None,
                note="Payment not completed in time.",
                only_from=OrderStatus.PENDING,
            )
        except (InvalidTransitionError, NotFoundError):
            continue
        cancelled += 1
    return cancelled


# --- Fulfilments -----------------------------------------------------------------------------


def process_fulfilment(*, fulfilment_id: int, actor: Actor) -> Fulfilment:
    """Start preparing a store's part of a paid order (``pending`` → ``processing``)."""
    return _advance_fulfilment(fulfilment_id=fulfilment_id, actor=actor, name="process")


def ship_fulfilment(*, fulfilment_id: int, actor: Actor, tracking_number: str = "") -> Fulfilment:
    """Hand a store's part to the carrier (``processing`` → ``shipped``), with a tracking number."""
    return _advance_fulfilment(
        fulfilment_id=fulfilment_id, actor=actor, name="ship", tracking_number=tracking_number
    )


def deliver_fulfilment(*, fulfilment_id: int, actor: Actor) -> Fulfilment:
    """Record that the buyer received a store's part (``shipped`` → ``delivered``)."""
    return _advance_fulfilment(fulfilment_id=fulfilment_id, actor=actor, name="deliver")


def _advance_fulfilment(
    *, fulfilment_id: int, actor: Actor, name: str, tracking_number: str = ""
) -> Fulfilment:
    """Apply the transition ``name`` to a fulfilment, then let its order follow.

    The order row is locked first, as cancellation does, so a fulfilment never moves on while its
    order is being cancelled, and sibling fulfilments update the order one at a time.

    :raises NotFoundError: no such fulfilment.
    :raises PaymentMissingError: the money held no longer covers the order (it is on hold).
    :raises InvalidTransitionError: out of order, the order is unpaid or cancelled, or ``actor``
        is neither staff nor the store's owner.
    """
    with transaction.atomic():
        order_id = (
            Fulfilment.objects.filter(pk=fulfilment_id).values_list("order_id", flat=True).first()
        )
        if order_id is None:
            raise NotFoundError()
        order = Order.objects.select_for_update().get(pk=order_id)
        fulfilment = (
            Fulfilment.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=fulfilment_id)
        )
        fulfilment.order = order
        method = getattr(fulfilment, name)
        allowed = _may_apply(method, actor)
        if not allowed:
            user = _user_or_none(actor)
            unpaid = order.status == OrderStatus.ON_HOLD or (
                order.status in FULFILLABLE_ORDER_STATUSES and not order.is_covered
            )
            if unpaid and (user is None or can_fulfil(fulfilment, user)):
                raise PaymentMissingError(reason=order.hold_reason)
            raise InvalidTransitionError(status=fulfilment.status)
        source = fulfilment.status
        try:
            method()
        except TransitionNotAllowed as exc:  # pragma: no cover - guarded by the check above
            raise InvalidTransitionError(status=fulfilment.status) from exc
        update_fields = ["status", "updated_at"]
        if tracking_number:
            fulfilment.tracking_number = tracking_number
            update_fields.append("tracking_number")
        fulfilment.save(update_fields=update_fields)
        _log_fulfilment_transition(
            order=order,
            fulfilment=fulfilment,
            transition=name,
            source=source,
            actor=actor,
            note=tracking_number,
        )
        _follow_fulfilments(order=order, actor=actor)
    return fulfilment


def order_status_for(fulfilment_statuses: list[str]) -> str:
    """Return the status an order should have given its (not cancelled) fulfilments' statuses.

    ``delivered`` when all are delivered, ``shipped`` when all have shipped, ``processing`` once
    any has started, else ``confirmed``.
    """
    statuses = set(fulfilment_statuses) - {FulfilmentStatus.CANCELLED}
    if statuses and statuses == {FulfilmentStatus.DELIVERED}:
        return OrderStatus.DELIVERED
    if statuses and statuses <= {FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED}:
        return OrderStatus.SHIPPED
    if statuses - {FulfilmentStatus.PENDING}:
        return OrderStatus.PROCESSING
    return OrderStatus.CONFIRMED


def _follow_fulfilments(*, order: Order, actor: Actor) -> None:
    """Move the (locked) order forward along confirmed → processing → shipped → delivered."""
    statuses = list(Fulfilment.objects.filter(order=order).values_list("status", flat=True))
    rank = {status: index for index, (status, _name) in enumerate(_FULFILMENT_PATH)}
    target = rank[order_status_for(statuses)]
    changed = False
    while order.status in rank and rank[order.status] < target:
        status, name = _FULFILMENT_PATH[rank[order.status] + 1]
        source = order.status
        getattr(order, name)()
        _log_order_transition(order=order, transition=name, source=source, actor=actor)
        changed = True
    if changed:
        order.save(update_fields=["status", "updated_at"])


def _may_apply(bound_transition: Any, actor: Actor) -> bool:
    """Whether the transition can run now, and ``actor`` (``None``: the system) may run it."""
    user = _user_or_none(actor)
    if user is None:
        return can_proceed(bound_transition)
    return has_transition_perm(bound_transition, cast(Any, user))


def _reload(order: Order) -> Order:
    """Read ``order`` again after another service changed it.

    A fresh instance, not ``refresh_from_db()``: django-fsm's ``refresh_from_db`` lifts the
    protection of the status field class-wide for a moment, which races between threads.
    """
    return Order.objects.get(pk=order.pk)


def _log_order_transition(
    *, order: Order, transition: str, source: str, actor: Actor, note: str = ""
) -> None:
    """Audit an order transition and notify plugins once the transaction commits."""
    record_transition(
        order=order,
        subject="order",
        subject_id=order.pk,
        transition=transition,
        source=source,
        target=order.status,
        actor=actor,
        note=note,
    )
    plugins.notify_order_status_changed(
        order=order, source=source, target=order.status, actor=_user_or_none(actor)
    )


def _log_fulfilment_transition(
    *,
    order: Order,
    fulfilment: Fulfilment,
    transition: str,
    source: str,
    actor: Actor,
    note: str = "",
) -> None:
    """Audit a fulfilment transition and notify plugins once the transaction commits."""
    record_transition(
        order=order,
        subject="fulfilment",
        subject_id=fulfilment.pk,
        transition=transition,
        source=source,
        target=fulfilment.status,
        actor=actor,
        note=note,
    )
    plugins.notify_fulfilment_status_changed(
        fulfilment=fulfilment, source=source, target=fulfilment.status, actor=_user_or_none(actor)
    )


def _user_or_none(actor: Actor) -> AbstractBaseUser | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor  # type: ignore[return-value]
