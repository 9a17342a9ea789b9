"""Wishlist items in the Django admin (read-mostly: shoppers manage their own lists)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model

from ecommerce_kit.wishlist.models import WishlistItem


@admin.register(WishlistItem)
class WishlistItemAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "product", "added_at")
    list_select_related = ("user", "product")
    search_fields = ("product__name", f"user__{get_user_model().USERNAME_FIELD}")
    list_filter = ("added_at",)
    raw_id_fields = ("user", "product")
    readonly_fields = ("added_at",)
    date_hierarchy = "added_at"
