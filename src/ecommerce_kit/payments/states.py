"""The statuses of payments and the kinds and states of ledger entries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    """A payment's status, derived from its ledger (see :mod:`ecommerce_kit.payments.ledger`).

    ``pending`` (nothing held yet) → ``authorized`` (money reserved) → ``captured`` (money taken)
    → ``partially_refunded`` → ``refunded``; ``failed`` (declined, errored or the authorization
    failed or expired with nothing taken); ``voided`` (the authorization was released). Because the
    provider's events may arrive in any order, any status may follow any other: a ``failed``
    payment whose capture is reported late becomes ``captured``.
    """

    PENDING = "pending", _("Pending")
    AUTHORIZED = "authorized", _("Authorized")
    CAPTURED = "captured", _("Captured")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
    VOIDED = "voided", _("Voided")


#: Statuses in which money has been taken (and may be refunded).
CAPTURED_STATUSES = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)
#: Statuses that end a payment's life: once it reaches one, an order may start another payment
#: (money reported for it later is given back, never counted as a second live payment).
ENDED_STATUSES = (PaymentStatus.FAILED, PaymentStatus.VOIDED, PaymentStatus.REFUNDED)


class EntryKind(models.TextChoices):
    """What a ledger entry moves."""

    AUTHORIZATION = "authorization", _("Authorization")
    CAPTURE = "capture", _("Capture")
    REFUND = "refund", _("Refund")
    VOID = "void", _("Void")


class EntryState(models.TextChoices):
    """``requested`` (recorded before the provider is called), ``succeeded``, ``failed`` (refused
    or declined: nothing moved), ``unknown`` (the call timed out or failed in transport: it is
    retried with the same key until the provider answers)."""

    REQUESTED = "requested", _("Requested")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


#: States of an entry whose outcome is not known yet (its amount stays reserved).
OPEN_STATES = (EntryState.REQUESTED, EntryState.UNKNOWN)


class EntrySource(models.TextChoices):
    """Where an entry came from."""

    GATEWAY = "gateway", _("Gateway answer")
    WEBHOOK = "webhook", _("Webhook event")
    STAFF = "staff", _("Staff action")
    BUYER = "buyer", _("Buyer action")
    TASK = "task", _("Task")
    SYSTEM = "system", _("System")


class RefundReason(models.TextChoices):
    """Why a refund was made; only ``staff`` and ``cancellation`` refunds lower what the order is
    owed (the others give back money the order never needed or no longer exists for)."""

    NONE = "", _("Not a refund")
    STAFF = "staff", _("Staff refund")
    CANCELLATION = "cancellation", _("Cancelled goods")
    RELEASE = "release", _("Cancelled order")
    SURPLUS = "surplus", _("Paid twice or too much")
    PROVIDER = "provider", _("Made at the provider")
