"""Payments, refund attempts, received webhook events and the log of calls to providers.

A payment's status is a protected django-fsm field: it changes only through the transitions below,
which only guard and change state. Gateway calls, locking, bookkeeping of amounts, the audit log
and hooks live in ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from djmoney.models.fields import MoneyField

from ecommerce_kit.payments.states import PaymentStatus, RefundStatus


def _money_field(verbose_name: str | Promise) -> MoneyField:
    return MoneyField(verbose_name, max_digits=14, decimal_places=2, currency_field_name="currency")


class Payment(FSMModelMixin, models.Model):
    """One attempt to pay an order through one gateway.

    ``amount`` is what the order asked for; ``captured`` what the gateway took and ``refunded`` what
    was given back (all in the order's currency, sharing the ``currency`` column).
    """

    order = models.ForeignKey(
        "ecommerce_kit_orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    gateway = models.CharField(_("gateway"), max_length=50, db_index=True)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        protected=True,
        db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = _money_field(_("amount"))
    captured = _money_field(_("captured"))
    refunded = _money_field(_("refunded"))
    reference = models.CharField(
        _("reference"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("The gateway's identifier of this payment."),
    )
    next_action = models.JSONField(
        _("next action"),
        null=True,
        blank=True,
        help_text=_("What the buyer must do to complete the payment."),
    )
    payment_data = models.JSONField(
        _("payment data"),
        default=dict,
        blank=True,
        help_text=_("The buyer's payment data, secrets redacted."),
    )
    failure_message = models.TextField(_("failure message"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="ek_payment_amount_not_neg"),
            models.CheckConstraint(
                condition=Q(captured__gte=0) & Q(captured__lte=F("amount")),
                name="ek_payment_captured_in_range",
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("captured")),
                name="ek_payment_refunded_in_range",
            ),
            models.UniqueConstraint(
                fields=["gateway", "reference"],
                condition=~Q(reference=""),
                name="ek_payment_gateway_reference",
            ),
        ]
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("capture_payment", "Can capture authorized payments"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} #{self.pk} ({self.status})"

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.AUTHORIZED)
    def authorize(self) -> None:
        """The gateway reserved the money; it may be captured or voided later."""

    @transition(
        field=status,
        source=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED],
        target=PaymentStatus.CAPTURED,
    )
    def capture(self) -> None:
        """The gateway took the money."""

    @transition(
        field=status,
        source=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED],
        target=PaymentStatus.FAILED,
    )
    def fail(self) -> None:
        """Declined, errored, expired or abandoned."""

    @transition(field=status, source=PaymentStatus.AUTHORIZED, target=PaymentStatus.VOIDED)
    def void(self) -> None:
        """The authorization was released without taking the money."""

    @transition(
        field=status,
        source=[PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED],
        target=PaymentStatus.PARTIALLY_REFUNDED,
    )
    def refund_partially(self) -> None:
        """Part of the captured money was given back."""

    @transition(
        field=status,
        source=[PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED],
        target=PaymentStatus.REFUNDED,
    )
    def refund_fully(self) -> None:
        """All of the captured money was given back."""


class Refund(models.Model):
    """One refund attempt against a payment.

    The row is written (``pending``) before the gateway is called, so that its amount is reserved
    while the call is under way: concurrent refunds can never add up to more than was captured.
    """

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RefundStatus.choices,
        default=RefundStatus.PENDING,
        db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = _money_field(_("amount"))
    reference = models.CharField(_("reference"), max_length=255, blank=True, default="")
    failure_message = models.TextField(_("failure message"), blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ek_refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.status})"


class WebhookEvent(models.Model):
    """A webhook event applied once: the unique (gateway, event id) row makes repeats no-ops."""

    gateway = models.CharField(_("gateway"), max_length=50)
    event_id = models.CharField(_("event id"), max_length=255)
    event_type = models.CharField(_("type"), max_length=100, blank=True, default="")
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True, default="")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="ek_webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"


class GatewayCallLog(models.Model):
    """One HTTP request made to a payment provider (one row per attempt), payload redacted."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Answered")
        HTTP_ERROR = "http_error", _("Error status")
        TIMEOUT = "timeout", _("Timed out")
        NETWORK_ERROR = "network_error", _("Network error")
        CIRCUIT_OPEN = "circuit_open", _("Refused: circuit open")

    gateway = models.CharField(_("gateway"), max_length=50)
    method = models.CharField(_("method"), max_length=10)
    url = models.CharField(_("URL"), max_length=2000)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_body = models.TextField(_("request body"), blank=True, default="")
    response_body = models.TextField(_("response body"), blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gateway call")
        verbose_name_plural = _("gateway calls")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["gateway", "-created_at"], name="ek_gwcall_gateway")]

    def __str__(self) -> str:
        return f"{self.method} {self.url} → {self.status_code or self.outcome}"
