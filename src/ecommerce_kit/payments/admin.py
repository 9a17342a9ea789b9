"""Admin screens: payments (with their ledger and history), the ledger, webhook events, calls.

Everything here is read-only: money moves only through the services (and their gateway calls),
never by editing a row. Staff holding ``ecommerce_kit_payments.capture_payment`` can capture
authorized payments from the payment list; others do not see the action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.payments import services
from ecommerce_kit.payments.models import GatewayCallLog, LedgerEntry, Payment, WebhookEvent
from ecommerce_kit.permissions import CAPTURE_PAYMENT

ENTRY_FIELDS: tuple[str, ...] = (
    "created_at",
    "kind",
    "state",
    "amount",
    "reason",
    "source",
    "event_id",
    "reference",
    "idempotency_key",
    "attempts",
    "message",
    "actor",
)
EVENT_INLINE_FIELDS: tuple[str, ...] = (
    "received_at",
    "event_id",
    "event_type",
    "state",
    "outcome",
)
PAYMENT_FIELDS: tuple[str, ...] = (
    "order_link",
    "gateway",
    "status",
    "amount",
    "authorized",
    "captured",
    "refunded",
    "refund_pending",
    "voided",
    "reference",
    "idempotency_key",
    "next_action",
    "payment_data",
    "failure_message",
    "history",
    "created_at",
    "updated_at",
)


class ReadOnlyAdminMixin:
    """No adding, changing or deleting from the admin; viewing only (the ``view`` permission)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = readonly_fields = ENTRY_FIELDS
    verbose_name_plural = _("ledger")


class WebhookEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookEvent
    extra = 0
    fields = readonly_fields = EVENT_INLINE_FIELDS


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "order_link",
        "gateway",
        "status",
        "amount",
        "captured",
        "refunded",
        "created_at",
    ]
    list_filter = ["status", "gateway", "currency"]
    search_fields = ["order__number", "reference"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    fields = readonly_fields = PAYMENT_FIELDS
    inlines = [LedgerEntryInline, WebhookEventInline]
    actions = ["capture_authorized"]

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, payment: Payment) -> str:
        try:
            url = reverse("admin:ecommerce_kit_orders_order_change", args=[payment.order_id])
        except NoReverseMatch:
            return payment.order.number
        return format_html('<a href="{}">{}</a>', url, payment.order.number)

    @admin.display(description=_("history"))
    def history(self, payment: Payment) -> str:
        from ecommerce_kit.orders.models import TransitionLog

        rows = (
            TransitionLog.objects.filter(subject="payment", subject_id=payment.pk)
            .select_related("actor")
            .order_by("created_at", "id")
        )
        lines = [
            format_html(
                "{} · {} → {} · {} · {}",
                row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                row.source,
                row.target,
                row.actor or _("system"),
                row.note,
            )
            for row in rows
        ]
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if lines else "—"

    def has_capture_payment_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(CAPTURE_PAYMENT))

    @admin.action(
        description=_("Capture the selected authorized payments"),
        permissions=["capture_payment"],
    )
    def capture_authorized(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        done = 0
        for payment in queryset.filter(authorized__gt=0):
            try:
                services.capture_payment(payment_id=payment.pk, actor=request.user)
            except EcommerceKitError as exc:
                self.message_user(request, f"#{payment.pk}: {exc}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d payment captured.", "%(count)d payments captured.", done)
            % {"count": done},
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every money movement with a provider; open entries (requested, unknown) are retried."""

    list_display = [
        "created_at",
        "payment",
        "kind",
        "state",
        "amount",
        "reason",
        "source",
        "reference",
        "attempts",
    ]
    list_filter = ["state", "kind", "source", "reason"]
    search_fields = ["idempotency_key", "reference", "event_id", "payment__order__number"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"
    readonly_fields = ["payment", *ENTRY_FIELDS, "updated_at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "received_at",
        "gateway",
        "event_id",
        "event_type",
        "payment",
        "state",
        "outcome",
    ]
    list_filter = ["gateway", "event_type", "state"]
    search_fields = ["event_id", "payment__reference", "payment__order__number"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "gateway",
        "event_id",
        "event_type",
        "payment",
        "payload",
        "data",
        "state",
        "outcome",
        "received_at",
    ]


@admin.register(GatewayCallLog)
class GatewayCallLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "gateway",
        "method",
        "url",
        "attempt",
        "status_code",
        "outcome",
        "duration_ms",
    ]
    list_filter = ["gateway", "outcome", "method"]
    search_fields = ["url"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "gateway",
        "method",
        "url",
        "attempt",
        "status_code",
        "outcome",
        "duration_ms",
        "request_body",
        "response_body",
        "error",
        "created_at",
    ]
