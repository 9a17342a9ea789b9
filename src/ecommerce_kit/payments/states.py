"""The statuses of payments and of refund attempts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    """``pending → authorized → captured → partially_refunded → refunded``; ``pending → captured``;
    ``pending|authorized → failed``; ``authorized → voided``."""

    PENDING = "pending", _("Pending")
    AUTHORIZED = "authorized", _("Authorized")
    CAPTURED = "captured", _("Captured")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")
    VOIDED = "voided", _("Voided")


#: Statuses in which money has been taken (and may be refunded).
CAPTURED_STATUSES = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)
#: Statuses that pay for an order (the order is confirmed by any of them).
PAID_STATUSES = (
    PaymentStatus.AUTHORIZED,
    PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)


class RefundStatus(models.TextChoices):
    """A refund attempt: reserved (``pending``) before the gateway is called, then settled."""

    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
