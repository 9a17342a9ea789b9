"""Payments, their ledger, received webhook events and the log of calls to providers.

Every money movement with a provider is a :class:`LedgerEntry`; a payment's amounts and status
are derived from its entries (``ledger.py``). Gateway calls, locking, the audit log and hooks live
in ``services.py``.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from djmoney.models.fields import MoneyField
from moneyed import Money

from ecommerce_kit.payments.states import (
    OPEN_STATES,
    EntryKind,
    EntrySource,
    EntryState,
    PaymentStatus,
    RefundReason,
)


def _money_field(verbose_name: str | Promise) -> MoneyField:
    return MoneyField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        currency_field_name="currency",
    )


def new_key() -> str:
    """A fresh idempotency key for a request to a provider: ``ek_`` and 32 hex digits."""
    return f"ek_{secrets.token_hex(16)}"


class Payment(FSMModelMixin, models.Model):
    """One attempt to pay an order through one gateway.

    ``amount`` is what the order asked for. What the payment holds is in its ledger
    (:class:`LedgerEntry` rows); the amounts below are recomputed from those rows under the
    payment's row lock each time the ledger changes (:func:`ecommerce_kit.payments.ledger.sync`),
    and ``status`` is derived from them. ``recompute_payments --check`` reports any drift.
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
    authorized = _money_field(_("authorized"))
    captured = _money_field(_("captured"))
    refunded = _money_field(_("refunded"))
    refund_pending = _money_field(_("refund pending"))
    voided = _money_field(_("voided"))
    credited = _money_field(_("credited"))
    live = models.BooleanField(
        _("live"),
        default=False,
        editable=False,
        help_text=_(
            "Under way or holding money; an order has one live payment at most. Cleared for good "
            "once the payment fails, is voided or is refunded in full."
        ),
    )
    deferred_events = models.PositiveSmallIntegerField(
        _("deferred events"),
        default=0,
        help_text=_(
            "Webhook events kept until the ledger allows them (a refund before its capture)."
        ),
    )
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=64,
        unique=True,
        default=new_key,
        editable=False,
        help_text=_("Sent to the provider with the request that creates the payment."),
    )
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
                condition=Q(authorized__gte=0)
                & Q(captured__gte=0)
                & Q(refunded__gte=0)
                & Q(refund_pending__gte=0)
                & Q(voided__gte=0)
                & Q(credited__gte=0),
                name="ek_payment_totals_not_neg",
            ),
            # Without arithmetic: SQLite compares decimals as floats.
            models.CheckConstraint(
                condition=Q(refunded__lte=F("captured")),
                name="ek_payment_refunded_le_captured",
            ),
            models.UniqueConstraint(
                fields=["gateway", "reference"],
                condition=~Q(reference=""),
                name="ek_payment_gateway_reference",
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(live=True), name="ek_payment_one_live_per_order"
            ),
        ]
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("capture_payment", "Can capture authorized payments"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} #{self.pk} ({self.status})"

    #: Totals derived from the ledger; zero for a new payment.
    DERIVED_FIELDS = ("authorized", "captured", "refunded", "refund_pending", "voided", "credited")

    def save(self, *args: Any, **kwargs: Any) -> None:
        for name in self.DERIVED_FIELDS:
            if getattr(self, name) is None:
                setattr(self, name, Money(0, self.currency))
        super().save(*args, **kwargs)

    @property
    def held(self) -> Money:
        """What the payment holds for its order: charged, net of (pending) refunds, plus what is
        still authorized."""
        return self.captured - self.refunded - self.refund_pending + self.authorized

    @transition(field=status, source="*", target=RETURN_VALUE(*PaymentStatus.values))
    def settle(self, status: str) -> str:
        """Move to the status derived from the ledger (the ledger decides; any move is allowed)."""
        return status


class LedgerEntry(models.Model):
    """One money movement with a provider: an authorization, a capture, a refund or a void.

    Rows the kit requests (captures, refunds, voids) are written ``requested`` with their own
    ``idempotency_key`` before the provider is called, so the amount is reserved while the call is
    under way; the answer moves them to ``succeeded`` or ``failed``, and a call that timed out
    leaves them ``unknown`` to be retried with the same key. Rows the provider reports (gateway
    answers, webhook events) are written ``succeeded`` (or ``failed``) at once. A succeeded row
    is never changed again.
    """

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=EntryState.choices, default=EntryState.REQUESTED
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = _money_field(_("amount"))
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_(
            "The kit's key sent to the provider; empty for movements the provider reported."
        ),
    )
    reference = models.CharField(
        _("provider reference"), max_length=255, blank=True, default="", db_index=True
    )
    source = models.CharField(_("source"), max_length=20, choices=EntrySource.choices)
    event_id = models.CharField(
        _("webhook event"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("The provider's id of the event that reported this movement."),
    )
    reason = models.CharField(
        _("refund reason"), max_length=20, choices=RefundReason.choices, blank=True, default=""
    )
    message = models.TextField(_("message"), blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("calls made"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ek_entry_amount_positive"),
            # A movement the provider names is booked once, whichever path reports it first.
            models.UniqueConstraint(
                fields=["payment", "kind", "reference"],
                condition=~Q(reference="") & ~Q(state=EntryState.FAILED),
                name="ek_entry_reference_once",
            ),
            models.UniqueConstraint(
                fields=["payment", "kind", "event_id"],
                condition=~Q(event_id=""),
                name="ek_entry_event_once",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="ek_entry_open")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class WebhookEvent(models.Model):
    """A received webhook event: the unique (gateway, event id) row makes repeats no-ops.

    An event that cannot be applied yet (a refund reported before the capture it refunds) is kept
    ``deferred`` with what it says in ``data``, and applied when the payment's ledger next changes.
    """

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DEFERRED = "deferred", _("Deferred")
        IGNORED = "ignored", _("Ignored")

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
    data = models.JSONField(
        _("parsed event"), default=dict, blank=True, help_text=_("What the event reports.")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.APPLIED, db_index=True
    )
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
