"""The statuses of orders and fulfilments."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    """``pending`` (awaiting payment) → ``confirmed`` (money covering the total is held) →
    ``processing`` → ``shipped`` → ``delivered``; ``cancelled``. A confirmed or processing order
    whose held money drops below what it is owed goes ``on_hold`` (no fulfilment may move) and
    comes back when the money is held again."""

    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    ON_HOLD = "on_hold", _("On hold: payment missing")


class FulfilmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class ChargeStatus(models.TextChoices):
    """How much of an order's total has been charged, net of refunds."""

    NONE = "none", _("None")
    PARTIAL = "partial", _("Partial")
    FULL = "full", _("Full")
    OVERCHARGED = "overcharged", _("Overcharged")


class AuthorizeStatus(models.TextChoices):
    """How much of an order's total is held: charged (net of refunds) or authorized."""

    NONE = "none", _("None")
    PARTIAL = "partial", _("Partial")
    FULL = "full", _("Full")
