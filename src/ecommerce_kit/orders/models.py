"""Orders, their lines, per-store fulfilments and the audit log of every transition.

Statuses are protected django-fsm fields: they change only through the transition methods below,
which only guard and change state. Locking, stock, payments, logging and hooks live in
``services.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from djmoney.models.fields import MoneyField
from moneyed import Money

from ecommerce_kit.catalog.models import Product, Store
from ecommerce_kit.orders.states import (
    AuthorizeStatus,
    ChargeStatus,
    FulfilmentStatus,
    OrderStatus,
)
from ecommerce_kit.permissions import CANCEL_ORDER, MANAGE_FULFILMENT, staff_has_perm

#: Order statuses in which the buyer may still cancel; staff may also cancel ``processing`` orders.
BUYER_CANCELLABLE = (OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD)
#: Order statuses in which a store may work on its fulfilment.
FULFILLABLE_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PROCESSING, OrderStatus.SHIPPED)


def can_cancel_order(order: Any, user: Any) -> bool:
    """Whether ``user`` may cancel ``order`` in its current status.

    The buyer may cancel while the order is ``pending`` or ``confirmed``; staff holding
    ``ecommerce_kit_orders.cancel_order`` up to ``processing``. The state machine itself decides
    which statuses can be cancelled at all.
    """
    if user is None or getattr(user, "pk", None) is None:
        return False
    if order.buyer_id == user.pk and order.status in BUYER_CANCELLABLE:
        return True
    return staff_has_perm(user, CANCEL_ORDER)


def can_fulfil(fulfilment: Any, user: Any) -> bool:
    """Whether ``user`` may move ``fulfilment`` on.

    The owner of its store may, without any permission; staff need
    ``ecommerce_kit_orders.manage_fulfilment``.
    """
    if user is None or getattr(user, "pk", None) is None:
        return False
    if fulfilment.store.owner_id == user.pk:
        return True
    return staff_has_perm(user, MANAGE_FULFILMENT)


def order_is_fulfillable(fulfilment: Any) -> bool:
    """Whether the fulfilment's order is paid (not pending, on hold or cancelled) and the money
    held for it still covers what it is owed."""
    order = fulfilment.order
    return order.status in FULFILLABLE_ORDER_STATUSES and order.held >= order.due


def _money_field(verbose_name: Any, currency_field: str, **options: Any) -> MoneyField:
    return MoneyField(
        verbose_name, max_digits=14, decimal_places=2, currency_field_name=currency_field, **options
    )


class Order(FSMModelMixin, models.Model):
    """A placed order: one buyer, one currency, totals frozen at checkout."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="ecommerce_orders",
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING,
        protected=True,
        db_index=True,
    )
    # One currency column shared by every amount of the order.
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = _money_field(_("subtotal"), "currency")
    shipping = _money_field(_("shipping"), "currency")
    tax = _money_field(_("tax"), "currency")
    total = _money_field(_("total"), "currency")
    # Money held for the order, recomputed from the payments' ledger each time it changes
    # (``orders.services.apply_money_status``); never written by anything else.
    charge_status = models.CharField(
        _("charge status"),
        max_length=20,
        choices=ChargeStatus.choices,
        default=ChargeStatus.NONE,
        db_index=True,
    )
    authorize_status = models.CharField(
        _("authorize status"),
        max_length=20,
        choices=AuthorizeStatus.choices,
        default=AuthorizeStatus.NONE,
    )
    charged = _money_field(_("charged"), "currency")
    refunded = _money_field(_("refunded"), "currency")
    held = _money_field(
        _("held"),
        "currency",
        help_text=_("Charged (net of refunds, pending ones included) plus authorized."),
    )
    credited = _money_field(
        _("credited"),
        "currency",
        help_text=_("Staff refunds: no longer owed."),
    )
    cancelled_amount = _money_field(
        _("cancelled goods"),
        "currency",
        help_text=_(
            "The value of cancelled fulfilments (their share of the total): no longer owed."
        ),
    )
    hold_reason = models.CharField(_("hold reason"), max_length=255, blank=True, default="")
    shipping_address = models.JSONField(_("shipping address"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True, default="")
    language = models.CharField(
        _("language"),
        max_length=35,
        blank=True,
        default="",
        help_text=_("The language the order was placed in: its buyer's e-mails use it."),
    )
    lines_returned = models.BooleanField(
        _("lines returned to the cart"),
        default=False,
        help_text=_(
            "Its payment failed and its lines went back to the cart: the next checkout of the "
            "cart cancels it while it is still unpaid."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="ek_order_buyer"),
            models.Index(fields=["status", "created_at"], name="ek_order_status_age"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="ek_order_total_not_negative"),
        ]
        permissions = [("cancel_order", "Can cancel any order")]

    def __str__(self) -> str:
        return self.number

    #: Money fields derived from the payments' ledger (or from cancellations); zero when new.
    MONEY_STATUS_FIELDS = ("charged", "refunded", "held", "credited", "cancelled_amount")

    def save(self, *args: Any, **kwargs: Any) -> None:
        for name in self.MONEY_STATUS_FIELDS:
            if getattr(self, name) is None:
                setattr(self, name, Money(0, self.currency))
        super().save(*args, **kwargs)

    @property
    def due(self) -> Any:
        """What the order is owed: its total less its cancelled goods and staff refunds, never
        less than nothing (as the ledger's ``OrderMoney.due``): goods cancelled after staff
        refunded everything leave nothing owed, whichever came first."""
        due = self.total - self.cancelled_amount - self.credited
        return due if due.amount > 0 else Money(0, self.currency)

    @property
    def is_covered(self) -> bool:
        """Whether the money held covers what the order is owed."""
        return bool(self.held >= self.due)

    @transition(
        field=status,
        source=[OrderStatus.PENDING, OrderStatus.ON_HOLD],
        target=OrderStatus.CONFIRMED,
    )
    def confirm(self) -> None:
        """Money covering what the order is owed is held (authorized or captured)."""

    @transition(
        field=status,
        source=[OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.PROCESSING],
        target=OrderStatus.ON_HOLD,
    )
    def hold(self) -> None:
        """Some money is held, but less than the order is owed, before it shipped."""

    @transition(
        field=status,
        source=OrderStatus.ON_HOLD,
        target=RETURN_VALUE(OrderStatus.PROCESSING),
    )
    def resume(self, status: str) -> str:
        """The money is held again for an order a store had started on."""
        return status

    @transition(
        field=status,
        source=[OrderStatus.CONFIRMED, OrderStatus.ON_HOLD],
        target=RETURN_VALUE(OrderStatus.PENDING),
    )
    def reopen(self, status: str) -> str:
        """No money is held any more and nothing was started: payable again."""
        return status

    @transition(field=status, source=OrderStatus.CONFIRMED, target=OrderStatus.PROCESSING)
    def start_processing(self) -> None:
        """A fulfilment started processing."""

    @transition(field=status, source=OrderStatus.PROCESSING, target=OrderStatus.SHIPPED)
    def ship(self) -> None:
        """Every fulfilment has shipped."""

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED)
    def deliver(self) -> None:
        """Every fulfilment has been delivered."""

    @transition(
        field=status,
        source=[
            OrderStatus.PENDING,
            OrderStatus.CONFIRMED,
            OrderStatus.PROCESSING,
            OrderStatus.ON_HOLD,
        ],
        target=OrderStatus.CANCELLED,
        permission=can_cancel_order,
    )
    def cancel(self) -> None:
        """Cancel the order (stock is restored by the service, exactly once)."""


class Fulfilment(FSMModelMixin, models.Model):
    """One store's part of an order, shipped and tracked on its own."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="fulfilments"
    )
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="fulfilments"
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.PENDING,
        protected=True,
        db_index=True,
    )
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True, default="")
    stock_released = models.BooleanField(
        _("stock released"),
        default=False,
        help_text=_("Set once its lines' stock has been given back (when it was cancelled)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["order", "store"], name="ek_fulfilment_one_per_store"),
        ]
        permissions = [
            ("manage_fulfilment", "Can process, ship and deliver any store's fulfilments")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.store_id}"

    @transition(
        field=status,
        source=FulfilmentStatus.PENDING,
        target=FulfilmentStatus.PROCESSING,
        conditions=[order_is_fulfillable],
        permission=can_fulfil,
    )
    def process(self) -> None:
        """The store started preparing its part."""

    @transition(
        field=status,
        source=FulfilmentStatus.PROCESSING,
        target=FulfilmentStatus.SHIPPED,
        conditions=[order_is_fulfillable],
        permission=can_fulfil,
    )
    def ship(self) -> None:
        """The store handed its part to the carrier."""

    @transition(
        field=status,
        source=FulfilmentStatus.SHIPPED,
        target=FulfilmentStatus.DELIVERED,
        conditions=[order_is_fulfillable],
        permission=can_fulfil,
    )
    def deliver(self) -> None:
        """The buyer received this part."""

    @transition(
        field=status,
        source=[FulfilmentStatus.PENDING, FulfilmentStatus.PROCESSING],
        target=FulfilmentStatus.CANCELLED,
    )
    def cancel(self) -> None:
        """This part was cancelled before it shipped (alone, or with its order)."""


class OrderItem(models.Model):
    """A line of an order: a snapshot of the product's name and unit price at checkout."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_items"
    )
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="order_items"
    )
    fulfilment = models.ForeignKey(
        Fulfilment, verbose_name=_("fulfilment"), on_delete=models.CASCADE, related_name="items"
    )
    product_name = models.CharField(_("product name"), max_length=200)
    unit_price_currency = models.CharField(_("currency"), max_length=3)
    unit_price = _money_field(_("unit price"), "unit_price_currency")
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total_currency = models.CharField(_("currency"), max_length=3)
    line_total = _money_field(_("line total"), "line_total_currency")

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ek_orderitem_quantity_gt_0"),
            models.UniqueConstraint(fields=["order", "product"], name="ek_orderitem_one_line"),
        ]
        indexes = [models.Index(fields=["product", "order"], name="ek_orderitem_product")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class TransitionLog(models.Model):
    """The audit log: one row per transition of an order, a fulfilment or a payment."""

    class Subject(models.TextChoices):
        ORDER = "order", _("Order")
        FULFILMENT = "fulfilment", _("Fulfilment")
        PAYMENT = "payment", _("Payment")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="history"
    )
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    subject_id = models.BigIntegerField(_("subject id"))
    transition = models.CharField(_("transition"), max_length=50)
    source = models.CharField(_("from"), max_length=30)
    target = models.CharField(_("to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    note = models.TextField(_("note"), blank=True, default="")
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["subject", "subject_id"], name="ek_log_subject")]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id}: {self.source} → {self.target}"


class OrderEmail(models.Model):
    """One e-mail the kit sends about an order: recorded before it is sent, sent at most once.

    ``(order, kind, subject_id)`` is unique, so a transition announced twice records one e-mail.
    Sending claims the row (``pending`` → ``sending``, a conditional update committed before the
    e-mail leaves), so a task that runs twice sends it once; see :mod:`ecommerce_kit.orders.emails`.
    """

    class Kind(models.TextChoices):
        ORDER_CONFIRMED = "order_confirmed", _("Order confirmed")
        ORDER_SHIPPED = "order_shipped", _("Order shipped")
        ORDER_DELIVERED = "order_delivered", _("Order delivered")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        ORDER_REFUNDED = "order_refunded", _("Order refunded")
        FULFILMENT_DUE = "fulfilment_due", _("Fulfilment due (to the seller)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped: no address")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="emails"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    subject_id = models.BigIntegerField(
        _("subject id"),
        help_text=_("The order, fulfilment or ledger entry the e-mail is about."),
    )
    # ``db_default`` as well: a field with a database default is returned by the INSERT
    # (``RETURNING``), so recording e-mails that may exist already (``ON CONFLICT DO UPDATE``)
    # learns each one's id and current state in the same statement.
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=State.choices,
        default=State.PENDING,
        db_default=State.PENDING,
        db_index=True,
    )
    recipient = models.EmailField(_("recipient"), blank=True, default="")
    language = models.CharField(_("language"), max_length=35, blank=True, default="")
    by_plugin = models.BooleanField(
        _("sent by a plugin"),
        default=False,
        help_text=_("A plugin's send_order_email hook sent it instead of the kit."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order e-mail")
        verbose_name_plural = _("order e-mails")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "subject_id"], name="ek_order_email_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id} ({self.state})"


class IdempotencyKey(models.Model):
    """A claimed ``Idempotency-Key``: the request it was first used with and the stored answer.

    The row is created (and committed) before the request does anything, so that a racing request
    with the same key finds it and waits for the answer instead of doing the work again.
    ``status_code`` stays empty while the first request is still running.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        help_text=_("SHA-256 of the endpoint and the request body."),
    )
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(
        _("response body"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="ek_idempotency_one_per_user"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None
