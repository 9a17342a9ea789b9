"""Reviews in the Django admin: search, filters and bulk moderation.

Showing, hiding and deleting go through the services (and delete signals), so each product's
rating follows at once. Reviews are written by shoppers through the API, so the admin does not add
them, and the rating of an existing review is the author's to change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ecommerce_kit.reviews import services
from ecommerce_kit.reviews.models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "product",
        "user",
        "rating",
        "title",
        "is_public",
        "verified_purchase",
        "created_at",
    )
    list_display_links = ("id", "title")
    list_select_related = ("product", "user")
    list_filter = ("is_public", "rating", "verified_purchase")
    search_fields = ("product__name", f"user__{get_user_model().USERNAME_FIELD}", "title")
    date_hierarchy = "created_at"
    fields = (
        "product",
        "user",
        "rating",
        "title",
        "body",
        "is_public",
        "verified_purchase",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("product", "user", "rating", "verified_purchase", "created_at", "updated_at")
    actions = ("hide_reviews", "show_reviews")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        """Save title and body; change visibility through the service, so the rating follows."""
        if "is_public" in form.changed_data:
            services.set_review_visibility(review_ids=[obj.pk], is_public=obj.is_public)
        text_fields = [f for f in ("title", "body") if f in form.changed_data]
        if text_fields:
            obj.save(update_fields=[*text_fields, "updated_at"])

    def _set_visibility(
        self, request: HttpRequest, queryset: QuerySet[Review], is_public: bool
    ) -> None:
        changed = services.set_review_visibility(
            review_ids=queryset.values_list("pk", flat=True),
            is_public=is_public,
        )
        if is_public:
            message = ngettext("%(n)d review shown.", "%(n)d reviews shown.", changed)
        else:
            message = ngettext("%(n)d review hidden.", "%(n)d reviews hidden.", changed)
        self.message_user(request, message % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Hide selected reviews"), permissions=["change"])
    def hide_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._set_visibility(request, queryset, is_public=False)

    @admin.action(description=_("Show selected reviews"), permissions=["change"])
    def show_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._set_visibility(request, queryset, is_public=True)
