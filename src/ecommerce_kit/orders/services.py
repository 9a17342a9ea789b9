"""Checkout and every order and fulfilment transition.

Rules kept here:

- Stock is reserved at checkout with one conditional ``UPDATE`` per line (no read-modify-write),
  inside the transaction that creates the order; a short line aborts everything. It is given back
  exactly once, by the cancellation, guarded by a conditional update of ``Order.stock_released``.
- Payment gateways are called outside any transaction (``payments.services.start_payment`` records,
  calls out, then applies the result in its own short transactions).
- Every transition writes an audit row in its transaction; plugin hooks and payment releases run
  after the commit.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
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
    PaymentDeclinedError,
    PriceChangedError,
    ProductUnavailableError,
    UnknownPaymentMethodError,
)
from ecommerce_kit.orders.audit import record_transition
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.numbers import new_order_number
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from ecommerce_kit.payments.models import Payment

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


def _place_order(
    *,
    user: AbstractBaseUser,
    cart: Cart,
    shipping_address: dict[str, Any],
    expected_total: Money | None,
    idempotency_key: str | None,
    payment_method: str,
) -> tuple[Order, list[tuple[int, int]]]:
    """Re-read the cart, price it, reserve stock, record the order and take the lines out of the
    cart, in one transaction.

    The cart row is locked first, so checkouts of one cart (a double-clicked "Place order") and
    cart changes run one after the other: a second checkout finds the cart empty instead of
    placing the same lines again. :func:`_give_lines_back` returns them when the payment fails.

    :returns: The order and the ``(product id, quantity)`` of each line taken out of the cart.
    """
    with transaction.atomic():
        # Serialize against writes to the same cart (adds, merges, other checkouts of it) while it
        # is being ordered.
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
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
        money.ensure_fits(*map(_line_total, lines), *totals.values())
        currency = str(totals["total"].currency)
        if expected_total is not None and (
            str(expected_total.currency) != currency
            or money.quantize(expected_total).amount != totals["total"].amount
        ):
            raise PriceChangedError(**{name: _money_json(value) for name, value in totals.items()})
        _ensure_payment_method(payment_method, currency)
        _reserve_stock(lines)

        order = _create_order(
            buyer=user,
            currency=currency,
            shipping_address=shipping_address,
            idempotency_key=idempotency_key or "",
            **totals,
        )
        store_ids = sorted({line.product.store_id for line in lines})
        fulfilments = Fulfilment.objects.bulk_create(
            [Fulfilment(order=order, store_id=store_id) for store_id in store_ids]
        )
        by_store = {fulfilment.store_id: fulfilment for fulfilment in fulfilments}
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product_id=line.product_id,
                    store_id=line.product.store_id,
                    fulfilment=by_store[line.product.store_id],
                    product_name=line.product.name,
                    unit_price=line.product.price,
                    quantity=line.quantity,
                    line_total=_line_total(line),
                )
                for line in lines
            ]
        )
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
    return order, [(line.product_id, line.quantity) for line in lines]


def _give_lines_back(*, cart: Cart, lines: list[tuple[int, int]], currency: str) -> None:
    """Put the lines of an order whose payment failed back into the cart they came from.

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


def checkout(
    *,
    user: AbstractBaseUser,
    shipping_address: dict[str, Any],
    payment_method: str,
    payment_data: dict[str, Any],
    expected_total: Money | None,
    idempotency_key: str | None,
) -> tuple[Order, Payment]:
    """Turn the user's cart into an order and start paying it.

    In one transaction, with the cart locked: re-read the cart, compute the totals on the server,
    reserve stock with one conditional update per line, create the order, its lines and one
    fulfilment per store, and take the lines out of the cart (so the cart is checked out once,
    however many checkouts of it race). Then, outside any transaction, start the payment; when it
    is declined or the gateway fails, the lines go back into the cart. Call it outside a
    transaction (a gateway is never called while locks are held).

    :param user: The buyer.
    :param shipping_address: The validated address, stored on the order as given.
    :param payment_method: A configured gateway id accepting the cart's currency.
    :param payment_data: Passed to the gateway as is (e.g. a card token).
    :param expected_total: The total the client showed; a different server total aborts.
    :param idempotency_key: Recorded on the order.
    :returns: The order (re-read after payment) and its payment.
    :raises CartEmptyError: no cart, or no lines in it.
    :raises ProductUnavailableError: a line's product is no longer sold (``lines`` lists them).
    :raises PriceChangedError: ``expected_total`` differs (the current totals come with it).
    :raises UnknownPaymentMethodError: unknown gateway, or it does not take the cart's currency.
    :raises InsufficientStockError: with ``lines`` listing every short line; nothing is reserved.
    :raises PaymentDeclinedError: the order was cancelled and its stock restored; the lines are
        back in the cart.
    :raises GatewayError: the order stays ``pending`` with its stock; retry with :func:`pay_order`.
        The lines are back in the cart.
    """
    from ecommerce_kit.payments.services import start_payment

    cart = Cart.objects.filter(user_id=user.pk).first()
    if cart is None:
        raise CartEmptyError()
    order, lines = _place_order(
        user=user,
        cart=cart,
        shipping_address=shipping_address,
        expected_total=expected_total,
        idempotency_key=idempotency_key,
        payment_method=payment_method,
    )
    try:
        payment = start_payment(
            order=order, gateway_id=payment_method, payment_data=payment_data, actor=user
        )
    except PaymentDeclinedError as exc:
        _cancel_after_decline(order=order, exc=exc)
        _give_lines_back(cart=cart, lines=lines, currency=order.currency)
        raise
    except Exception as exc:
        # GatewayError (or anything unexpected): the order stays pending, payable with ``pay/``.
        extra = getattr(exc, "extra", None)
        if isinstance(extra, dict):
            extra.setdefault("order", order.number)
        _give_lines_back(cart=cart, lines=lines, currency=order.currency)
        raise
    return _reload(order), payment


def _cancel_after_decline(*, order: Order, exc: PaymentDeclinedError) -> None:
    try:
        _cancel(
            order_id=order.pk, actor=None, note="Payment declined.", only_from=OrderStatus.PENDING
        )
    except InvalidTransitionError:
        logger.warning("Order %s was no longer pending after a declined payment", order.number)
    exc.extra.setdefault("order", order.number)


def pay_order(
    *, order_id: int, actor: Actor, payment_method: str, payment_data: dict[str, Any]
) -> tuple[Order, Payment]:
    """Start a new payment for a ``pending`` order (after a gateway error, say).

    :raises InvalidTransitionError: the order is not pending.
    :raises UnknownPaymentMethodError: unknown gateway, or not for the order's currency.
    :raises PaymentDeclinedError: the order is cancelled and its stock restored.
    :raises GatewayError: the order stays pending.
    """
    from ecommerce_kit.payments.services import start_payment

    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFoundError()
    if order.status != OrderStatus.PENDING:
        raise InvalidTransitionError(status=order.status)
    _ensure_payment_method(payment_method, order.currency)
    try:
        payment = start_payment(
            order=order, gateway_id=payment_method, payment_data=payment_data, actor=actor
        )
    except PaymentDeclinedError as exc:
        _cancel_after_decline(order=order, exc=exc)
        raise
    return _reload(order), payment


# --- Order transitions -----------------------------------------------------------------------


def mark_order_paid(*, order_id: int, actor: Actor = None) -> Order:
    """Confirm a ``pending`` order whose payment was authorized or captured.

    Idempotent: an order already confirmed (or further along) is returned unchanged, and so is a
    cancelled one (the payments side then gives the money back).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PENDING:
            return order
        source = order.status
        order.confirm()
        order.save(update_fields=["status", "updated_at"])
        _log_order_transition(order=order, transition="confirm", source=source, actor=actor)
    return order


def cancel_order(*, order_id: int, actor: Actor, note: str = "") -> Order:
    """Cancel an order, give its stock back exactly once and release its payments.

    Staff may cancel up to ``processing``, the buyer while ``pending`` or ``confirmed``;
    ``actor=None`` is the system (timeouts, declines). After the commit, authorized payments are
    voided, captured ones refunded and pending ones failed
    (``payments.services.release_order_payments``).

    :raises InvalidTransitionError: the order cannot be cancelled (by this actor) now.
    """
    return _cancel(order_id=order_id, actor=actor, note=note)


def _cancel(*, order_id: int, actor: Actor, note: str, only_from: str | None = None) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise NotFoundError()
        if only_from is not None and order.status != only_from:
            raise InvalidTransitionError(status=order.status)
        allowed = _may_apply(order.cancel, actor)
        if not allowed:
            raise InvalidTransitionError(status=order.status)
        source = order.status
        order.cancel()
        order.save(update_fields=["status", "updated_at"])
        _release_stock(order)
        fulfilments = list(
            Fulfilment.objects.select_for_update().filter(
                order=order, status__in=[FulfilmentStatus.PENDING, FulfilmentStatus.PROCESSING]
            )
        )
        for fulfilment in fulfilments:
            fulfilment_source = fulfilment.status
            fulfilment.cancel()
            fulfilment.save(update_fields=["status", "updated_at"])
            _log_fulfilment_transition(
                order=order,
                fulfilment=fulfilment,
                transition="cancel",
                source=fulfilment_source,
                actor=actor,
                note=note,
            )
        _log_order_transition(
            order=order, transition="cancel", source=source, actor=actor, note=note
        )
        transaction.on_commit(
            functools.partial(_release_payments, order_id=order.pk, actor=actor), robust=True
        )
    return order


def _release_stock(order: Order) -> None:
    """Give the order's reserved stock back, once: the flag flips False → True in one UPDATE."""
    if not Order.objects.filter(pk=order.pk, stock_released=False).update(stock_released=True):
        return
    order.stock_released = True
    lines = OrderItem.objects.filter(order=order).order_by("product_id")
    for product_id, quantity in lines.values_list("product_id", "quantity"):
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + quantity)


def _release_payments(*, order_id: int, actor: Actor) -> None:
    from ecommerce_kit.payments.services import release_order_payments

    order = Order.objects.get(pk=order_id)
    release_order_payments(order=order, actor=actor)


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
