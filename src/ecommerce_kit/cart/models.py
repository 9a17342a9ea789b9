"""Carts: anonymous (addressed by an unguessable token) or owned by one user."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ecommerce_kit.catalog.models import Product

TOKEN_BYTES = 24  # 192 bits of randomness


def new_cart_token() -> str:
    """Return a new URL-safe token with 192 bits of randomness."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class Cart(models.Model):
    """A shopper's cart. Its currency is set by its first line; all its lines share it."""

    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_cart_token, editable=False
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ecommerce_cart",
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        ordering = ("-updated_at", "-id")
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="ek_cart_anonymous_updated",
                condition=Q(user__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        owner = self.user or _("anonymous")
        return f"{owner} ({self.token[:8]}…)"


class CartItem(models.Model):
    """One line of a cart: one product, a positive quantity."""

    cart = models.ForeignKey(
        Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart item")
        verbose_name_plural = _("cart items")
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="ek_cartitem_one_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ek_cartitem_quantity_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"
