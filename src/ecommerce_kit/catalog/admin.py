"""Admin screens for categories, stores, products (with their variants) and ratings."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Category, Product, ProductRating, Store


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    ordering = ("name",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "owner",
        "is_approved",
        "is_active",
        "approved_at",
        "created_at",
    )
    list_filter = ("is_approved", "is_active")
    list_select_related = ("owner",)
    search_fields = ("name", "slug", "owner__username", "owner__email")
    raw_id_fields = ("owner",)
    readonly_fields = ("is_approved", "approved_at", "approved_by", "created_at", "updated_at")
    actions = ("approve_selected",)
    date_hierarchy = "created_at"

    @admin.action(description=_("Approve selected stores"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Store]) -> None:
        pending = list(queryset.filter(is_approved=False))
        for store in pending:
            services.approve_store(store=store, actor=request.user)  # type: ignore[arg-type]
        self.message_user(
            request,
            ngettext(
                "%(count)d store approved.",
                "%(count)d stores approved.",
                len(pending),
            )
            % {"count": len(pending)},
            messages.SUCCESS,
        )


class VariantInline(admin.TabularInline):
    model = Product
    fk_name = "parent"
    extra = 0
    fields = ("name", "slug", "price", "stock_quantity", "attributes", "is_active")
    readonly_fields = ("slug",)
    show_change_link = True
    verbose_name = _("variant")
    verbose_name_plural = _("variants")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Variants are created through the API or the product form (to choose store and
        # category); here they are listed and edited.
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "store",
        "category",
        "parent",
        "price",
        "stock_quantity",
        "is_active",
        "created_at",
    )
    list_filter = (
        "is_active",
        ("store", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
        "price_currency",
    )
    list_select_related = ("store", "category", "parent")
    search_fields = ("name", "slug", "description", "store__name")
    raw_id_fields = ("parent", "store")
    autocomplete_fields = ("category",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (VariantInline,)
    date_hierarchy = "created_at"


@admin.register(ProductRating)
class ProductRatingAdmin(admin.ModelAdmin):
    """The review aggregate is kept by the reviews services; here it is only shown."""

    list_display = ("product", "average", "count", "updated_at")
    list_select_related = ("product",)
    search_fields = ("product__name", "product__slug")
    readonly_fields = (
        "product",
        "count",
        "total",
        "average",
        "count_1",
        "count_2",
        "count_3",
        "count_4",
        "count_5",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
