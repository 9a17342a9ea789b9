"""Every plugin hook of ecommerce_kit, grouped by lifecycle.

Plugins implement these with :data:`ecommerce_kit.hookimpl`; hooks are always called with keyword
arguments. Each hook is documented in ``docs/hooks.md``, and a test fails when a hook is missing
there or documented with another signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet
    from moneyed import Money

    from ecommerce_kit.cart.models import Cart
    from ecommerce_kit.catalog.models import Product
    from ecommerce_kit.orders.models import Fulfilment, Order
    from ecommerce_kit.payments.base import PaymentGateway
    from ecommerce_kit.payments.ledger import OrderMoney
    from ecommerce_kit.payments.models import LedgerEntry, Payment
    from ecommerce_kit.reviews.models import Review

hookspec = pluggy.HookspecMarker("ecommerce_kit")

# --- Payment gateways ------------------------------------------------------------------------


@hookspec
def register_payment_gateways() -> list[PaymentGateway]:
    """Offer payment gateways to the checkout.

    A gateway is used only when its ``id`` is configured in ``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]``;
    the options found there are passed to the gateway with each call.

    :returns: Gateway instances. Each gateway ``id`` must be unique across plugins.
    """


# --- Checkout pricing ------------------------------------------------------------------------


@hookspec(firstresult=True)
def calculate_shipping(cart: Cart, address: dict[str, Any], subtotal: Money) -> Money | None:
    """Price shipping for a checkout; the first non-``None`` answer wins.

    Stops at first non-None result. When no plugin answers, ``DEFAULT_SHIPPING_COST`` is used.

    :param cart: The cart being checked out; do not mutate it.
    :param address: The validated shipping address (``country`` is an ISO 3166-1 alpha-2 code).
    :param subtotal: The sum of the cart's lines, in the cart's currency.
    :returns: A cost in ``subtotal.currency``, or ``None`` to let another plugin answer.
    """


@hookspec(firstresult=True)
def calculate_tax(
    cart: Cart, address: dict[str, Any], subtotal: Money, shipping: Money
) -> Money | None:
    """Compute the tax of a checkout; the first non-``None`` answer wins.

    Stops at first non-None result. When no plugin answers, ``subtotal * DEFAULT_TAX_RATE`` is used.

    :param cart: The cart being checked out; do not mutate it.
    :param address: The validated shipping address.
    :param subtotal: The sum of the cart's lines, in the cart's currency.
    :param shipping: The shipping cost chosen by :func:`calculate_shipping`.
    :returns: A tax amount in ``subtotal.currency``, or ``None`` to let another plugin answer.
    """


# --- Catalog ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def search_products(queryset: QuerySet[Product], query: str) -> QuerySet[Product] | None:
    """Filter products by a free-text ``query`` (the ``search`` filter of the product list).

    Stops at first non-None result. When no plugin answers, the kit searches itself: full-text,
    ranked by relevance, on PostgreSQL; a case-insensitive match of names and descriptions
    elsewhere (:mod:`ecommerce_kit.catalog.search`). When the client gives no ``ordering``, an
    ``order_by()`` on the returned queryset is kept (most relevant first).

    :param queryset: The products visible to the request, already filtered by the other filters.
    :param query: The stripped, non-empty search text.
    :returns: A queryset narrowed from ``queryset``, or ``None`` to use the default search.
    """


# --- Money (called inside the transaction that changes it) ---------------------------------


@hookspec
def order_money_changed(order: Order, money: OrderMoney, actor: AbstractBaseUser | None) -> None:
    """React to a change of the money held for an order. Runs inside the transaction.

    The payments app calls it each time the ledger of one of the order's payments changes (a
    gateway answer, a webhook event, a refund, a void), with the order's row locked. The kit's
    orders app implements it: it stores the order's money status and confirms, holds or resumes
    the order. A host's implementation runs in the same transaction: keep it short, never call
    out to the network (use ``transaction.on_commit``), and raise only to abort the change.

    :param order: The order, locked.
    :param money: What it holds: ``charged``, ``refunded``, ``authorized``, ``held``, ``due``,
        ``charge_status``, ``authorize_status``
        (:class:`ecommerce_kit.payments.ledger.OrderMoney`).
    :param actor: The user who caused it, or ``None`` for the system (gateway answers, webhooks).
    """


@hookspec
def fulfilments_cancelled(
    order: Order,
    amount: Money,
    everything: bool,
    refund: Money | None,
    actor: AbstractBaseUser | None,
) -> None:
    """React to goods being cancelled before they shipped. Runs inside the transaction.

    The orders app calls it when a cancellation (of the whole order, or of some of its
    fulfilments) has been recorded, with the order's row locked; the kit's payments app implements
    it by recording the voids and refunds that give the money back (made after the commit).

    :param order: The order, locked.
    :param amount: The cancelled goods' share of the order's total.
    :param everything: Whether the whole order is cancelled (everything held is given back).
    :param refund: The amount staff chose to refund instead of ``amount``, if any.
    :param actor: The user who cancelled, or ``None`` for the system (payment timeout, decline).
    """


# --- Status changes (called after the transaction commits) ----------------------------------


@hookspec
def order_status_changed(
    order: Order, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    """Observe a committed order transition. Runs after the transaction commits.

    :param order: The order, as saved.
    :param source: The status before the transition.
    :param target: The status after the transition.
    :param actor: The user who caused it, or ``None`` for the system (webhooks, timeouts).
    """


@hookspec
def fulfilment_status_changed(
    fulfilment: Fulfilment, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    """Observe a committed fulfilment transition. Runs after the transaction commits.

    :param fulfilment: The fulfilment (one store's part of an order), as saved.
    :param source: The status before the transition.
    :param target: The status after the transition.
    :param actor: The user who caused it, or ``None`` for the system.
    """


@hookspec
def payment_status_changed(
    payment: Payment, source: str, target: str, actor: AbstractBaseUser | None
) -> None:
    """Observe a committed payment transition. Runs after the transaction commits.

    :param payment: The payment, as saved.
    :param source: The status before the transition.
    :param target: The status after the transition.
    :param actor: The user who caused it, or ``None`` for the system (gateway answers, webhooks).
    """


@hookspec
def refund_succeeded(payment: Payment, entry: LedgerEntry) -> None:
    """Observe a refund that went through. Runs after the transaction commits.

    Called once for each refund entry of the ledger that becomes ``succeeded``: a refund the kit
    requested (staff refunds, cancelled goods, money given back for a cancelled order or a surplus)
    once the provider confirms it, and a refund made at the provider once its event is booked.

    :param payment: The payment refunded from, as saved.
    :param entry: The ledger entry: ``amount``, ``reason`` (``staff``, ``cancellation``,
        ``release``, ``surplus`` or ``provider``), ``reference``, ``actor``.
    """


@hookspec
def review_created(review: Review) -> None:
    """Observe a newly created review. Runs after the transaction commits.

    Use it to notify sellers or to queue the review for moderation (set ``is_public=False``
    through :func:`ecommerce_kit.reviews.services.set_review_visibility`).

    :param review: The review, as saved.
    """


# --- E-mails ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def send_order_email(
    kind: str, order: Order, context: dict[str, Any], recipient: AbstractBaseUser
) -> bool | None:
    """Send one of the kit's order e-mails yourself; return ``True`` when you did.

    Stops at first non-None result. Called after the transaction that caused the e-mail has
    committed, at most once per e-mail (the kit records it first), with the recipient's language
    active. When no plugin returns ``True``, the kit renders its templates and sends the e-mail.

    :param kind: ``order_confirmed``, ``order_shipped``, ``order_delivered``,
        ``order_cancelled``, ``order_refunded`` (to the buyer) or ``fulfilment_due`` (to a store's
        owner).
    :param order: The order.
    :param context: What the kit's templates get: ``order``, ``items``, ``language``,
        ``recipient_name``, ``shipping_address`` and, depending on ``kind``, ``fulfilment``,
        ``store``, ``tracking_number``, ``items_total``, ``refund``, ``refund_reason``.
    :param recipient: The user the e-mail is for (the buyer, or the store's owner).
    :returns: ``True`` when the e-mail was sent (the kit then sends nothing), or ``None``.
    """
