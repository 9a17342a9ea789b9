"""Admin for carts: each cart with its lines, searchable by owner and token."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ecommerce_kit.cart.models import Cart, CartItem


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    raw_id_fields = ("product",)
    fields = ("product", "quantity", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")


class OwnerFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("anonymous", _("Anonymous")), ("owned", _("Owned by a user"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Cart]) -> QuerySet[Cart]:
        if self.value() == "anonymous":
            return queryset.filter(user__isnull=True)
        if self.value() == "owned":
            return queryset.filter(user__isnull=False)
        return queryset


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ("token", "user", "currency", "line_count", "updated_at", "created_at")
    list_filter = (OwnerFilter, "currency")
    list_select_related = ("user",)
    search_fields = ("=token", "user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("token", "created_at", "updated_at")
    fields = ("token", "user", "currency", "created_at", "updated_at")
    date_hierarchy = "updated_at"
    inlines = (CartItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return super().get_queryset(request).annotate(line_count=Count("items"))

    @admin.display(description=_("lines"), ordering="line_count")
    def line_count(self, obj: Cart) -> int:
        return int(getattr(obj, "line_count", 0))
