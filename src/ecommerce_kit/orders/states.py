"""The statuses of orders and fulfilments, and the shapes in which the API shows an order."""

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


class OrderView(models.TextChoices):
    """Which shape of an order a user gets (the order's ``view`` field in the API)."""

    #: Every line, fulfilment and amount: the buyer, and staff who may view every order.
    FULL = "full", _("Full")
    #: Only the seller's own lines and fulfilment, and their share: a seller in the order.
    SELLER = "seller", _("Seller")


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
