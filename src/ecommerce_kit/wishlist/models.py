"""Wishlists: the products a user keeps for later, each at most once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ecommerce_kit.catalog.models import Product


class WishlistItem(models.Model):
    """One product in one user's wishlist.

    The item stays when the product is later deactivated; the API then shows it with
    ``is_active: false``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="ecommerce_wishlist_items",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="wishlist_items"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wishlist item")
        verbose_name_plural = _("wishlist items")
        ordering = ("-added_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="ek_wishlist_one_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-added_at", "-id"], name="ek_wishlist_listing")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.product_id}"
