"""The statuses of orders and fulfilments, and the shapes in which the API shows an order."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


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
