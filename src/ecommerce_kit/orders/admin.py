"""Admin for orders and fulfilments.

Everything is read-only: statuses change only through the services, from the buttons on an order's
page (the transitions the admin user may perform now) and from the changelist actions, so that the
admin goes through the same rules, stock handling, audit log and hooks as the API.

Each button and action needs its Django permission (:mod:`ecommerce_kit.permissions`): cancelling
``cancel_order``, refunding ``refund_payment``, moving fulfilments on ``manage_fulfilment``. A user
without it sees no such button or action, and a POST to it is refused.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.orders import selectors, services
from ecommerce_kit.orders.models import Fulfilment, Order, OrderEmail, OrderItem, TransitionLog
from ecommerce_kit.permissions import CANCEL_ORDER, MANAGE_FULFILMENT, REFUND_PAYMENT

#: The order actions offered as buttons in the admin, and the permission each needs (the name of
#: the ``has_<name>_permission`` method of the model admins).
ADMIN_ORDER_ACTIONS = {"cancel": "cancel_order", "refund": "refund_payment"}

#: The translated labels of the order and fulfilment actions, for the admin's messages.
_ACTION_LABELS = {
    "cancel": _("Cancel order"),
    "refund": _("Refund everything refundable"),
    "process": _("start processing"),
    "ship": _("mark shipped"),
    "deliver": _("mark delivered"),
}


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderItemInline(_ReadOnlyInline):
    model = OrderItem
    fields = (
        "product",
        "product_name",
        "unit_price",
        "quantity",
        "line_total",
        "store",
        "fulfilment",
    )
    readonly_fields = fields


class FulfilmentInline(_ReadOnlyInline):
    model = Fulfilment
    fields = ("store", "status", "tracking_number", "updated_at")
    readonly_fields = fields


class TransitionLogInline(_ReadOnlyInline):
    model = TransitionLog
    fields = (
        "created_at",
        "subject",
        "subject_id",
        "transition",
        "source",
        "target",
        "actor",
        "note",
    )
    readonly_fields = fields
    verbose_name_plural = _("history")


@functools.cache
def _payment_inline() -> type[admin.TabularInline]:
    # The payments app is imported lazily to keep the apps acyclic.
    from ecommerce_kit.payments.models import Payment

    class PaymentInline(_ReadOnlyInline):
        model = Payment
        fields = ("gateway", "status", "amount", "captured", "refunded", "reference", "created_at")
        readonly_fields = fields

    return PaymentInline


class FulfilmentPermissionMixin:
    """``has_manage_fulfilment_permission`` for the fulfilment buttons and actions."""

    def has_manage_fulfilment_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(MANAGE_FULFILMENT))


def _run(request: HttpRequest, label: str, call: Any) -> bool:
    try:
        call()
    except EcommerceKitError as exc:
        messages.error(request, f"{label}: {exc.message}")
        return False
    return True


@admin.register(Order)
class OrderAdmin(FulfilmentPermissionMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "buyer",
        "status",
        "total",
        "charge_status",
        "authorize_status",
        "created_at",
    )
    list_filter = ("status", "charge_status", "authorize_status", "created_at")
    search_fields = ("number", "buyer__username", "buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("buyer",)
    readonly_fields = (
        "number",
        "buyer",
        "status",
        "currency",
        "subtotal",
        "shipping",
        "tax",
        "total",
        "charge_status",
        "authorize_status",
        "charged",
        "refunded",
        "held",
        "credited",
        "cancelled_amount",
        "hold_reason",
        "shipping_address",
        "idempotency_key",
        "language",
        "lines_returned",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    actions = ["cancel_selected"]

    def get_inlines(self, request: HttpRequest, obj: Order | None) -> list[type[Any]]:
        return [OrderItemInline, FulfilmentInline, _payment_inline(), TransitionLogInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_cancel_order_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(CANCEL_ORDER))

    def has_refund_payment_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(REFUND_PAYMENT))

    def _may(self, request: HttpRequest, permission: str) -> bool:
        return bool(getattr(self, f"has_{permission}_permission")(request))

    # --- Buttons ---------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/actions/<str:name>/",
                self.admin_site.admin_view(self.order_action_view),
                name=f"{prefix}_action",
            ),
            path(
                "<path:object_id>/fulfilments/<int:fulfilment_id>/<str:name>/",
                self.admin_site.admin_view(self.fulfilment_action_view),
                name=f"{prefix}_fulfilment_action",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        found = self.get_object(request, unquote(object_id))
        order = (
            selectors.with_order_details(Order.objects.filter(pk=found.pk)).first()
            if found is not None
            else None
        )
        context = dict(extra_context or {})
        if order is not None and self.has_view_or_change_permission(request, order):
            context["order_actions"] = [
                name
                for name in selectors.list_order_actions(order, request.user)
                if name in ADMIN_ORDER_ACTIONS and self._may(request, ADMIN_ORDER_ACTIONS[name])
            ]
            if self.has_manage_fulfilment_permission(request):
                context["fulfilment_actions"] = [
                    (fulfilment, selectors.list_fulfilment_actions(fulfilment, request.user))
                    for fulfilment in order.fulfilments.all()
                ]
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _order_or_404(self, request: HttpRequest, object_id: str) -> Order:
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        return order

    def _change_url(self, order: Order) -> HttpResponseRedirect:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return HttpResponseRedirect(
            reverse(name, args=[order.pk], current_app=self.admin_site.name)
        )

    def order_action_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_or_404(request, object_id)
        if (
            name not in ADMIN_ORDER_ACTIONS
            or not self.has_view_or_change_permission(request, order)
            or not self._may(request, ADMIN_ORDER_ACTIONS[name])
        ):
            return HttpResponse(status=403)
        if name == "cancel":
            done = _run(
                request,
                order.number,
                lambda: services.cancel_order(
                    order_id=order.pk, actor=request.user, note=request.POST.get("note", "")[:500]
                ),
            )
        else:
            from ecommerce_kit.payments.services import refund_order

            done = _run(
                request,
                order.number,
                lambda: refund_order(order=order, amount=None, actor=request.user),
            )
        if done:
            messages.success(
                request,
                gettext("%(action)s: done for order %(number)s.")
                % {"action": _ACTION_LABELS[name], "number": order.number},
            )
        return self._change_url(order)

    def fulfilment_action_view(
        self, request: HttpRequest, object_id: str, fulfilment_id: int, name: str
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_or_404(request, object_id)
        fulfilment = get_object_or_404(Fulfilment, pk=fulfilment_id, order=order)
        if (
            name not in selectors.FULFILMENT_ACTIONS
            or not self.has_view_or_change_permission(request, order)
            or not self.has_manage_fulfilment_permission(request)
        ):
            return HttpResponse(status=403)
        if _run(request, order.number, lambda: _advance(fulfilment.pk, name, request)):
            messages.success(
                request,
                gettext("%(action)s: done for %(store)s.")
                % {"action": _ACTION_LABELS[name], "store": fulfilment.store},
            )
        return self._change_url(order)

    # --- Changelist actions ----------------------------------------------------------------

    @admin.action(
        description=_("Cancel selected orders (restocks and releases payments)"),
        permissions=["cancel_order"],
    )
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = sum(
            _run(
                request,
                order.number,
                functools.partial(services.cancel_order, order_id=order.pk, actor=request.user),
            )
            for order in queryset
        )
        if done:
            messages.success(
                request,
                ngettext("Cancelled %(count)d order.", "Cancelled %(count)d orders.", done)
                % {"count": done},
            )


def _advance(fulfilment_id: int, name: str, request: HttpRequest) -> Fulfilment:
    if name == "ship":
        return services.ship_fulfilment(
            fulfilment_id=fulfilment_id,
            actor=request.user,
            tracking_number=request.POST.get("tracking_number", "").strip()[:100],
        )
    if name == "process":
        return services.process_fulfilment(fulfilment_id=fulfilment_id, actor=request.user)
    return services.deliver_fulfilment(fulfilment_id=fulfilment_id, actor=request.user)


@admin.register(Fulfilment)
class FulfilmentAdmin(FulfilmentPermissionMixin, admin.ModelAdmin):
    list_display = ("id", "order", "store", "status", "tracking_number", "updated_at")
    list_filter = ("status",)
    search_fields = ("order__number", "store__name", "tracking_number")
    list_select_related = ("order", "store")
    readonly_fields = ("order", "store", "status", "tracking_number", "created_at", "updated_at")
    fields = readonly_fields
    actions = ["process_selected", "ship_selected", "deliver_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Fulfilment | None = None) -> bool:
        return False

    def _advance_all(self, request: HttpRequest, queryset: QuerySet[Fulfilment], name: str) -> None:
        done = sum(
            _run(
                request, str(fulfilment), functools.partial(_advance, fulfilment.pk, name, request)
            )
            for fulfilment in queryset
        )
        if done:
            messages.success(
                request,
                ngettext(
                    "%(action)s: done for %(count)d fulfilment.",
                    "%(action)s: done for %(count)d fulfilments.",
                    done,
                )
                % {"action": _ACTION_LABELS[name], "count": done},
            )

    @admin.action(
        description=_("Start processing selected fulfilments"), permissions=["manage_fulfilment"]
    )
    def process_selected(self, request: HttpRequest, queryset: QuerySet[Fulfilment]) -> None:
        self._advance_all(request, queryset, "process")

    @admin.action(
        description=_("Mark selected fulfilments shipped"), permissions=["manage_fulfilment"]
    )
    def ship_selected(self, request: HttpRequest, queryset: QuerySet[Fulfilment]) -> None:
        self._advance_all(request, queryset, "ship")

    @admin.action(
        description=_("Mark selected fulfilments delivered"), permissions=["manage_fulfilment"]
    )
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Fulfilment]) -> None:
        self._advance_all(request, queryset, "deliver")


@admin.register(OrderEmail)
class OrderEmailAdmin(admin.ModelAdmin):
    """The e-mails sent about orders. Read-only; staff who may change them can send again those
    that may not have arrived (``failed``, ``skipped``, or stuck ``sending`` after a crash)."""

    list_display = ("order", "kind", "recipient", "language", "state", "attempts", "created_at")
    list_filter = ("state", "kind", "language")
    search_fields = ("order__number", "recipient")
    list_select_related = ("order",)
    readonly_fields = (
        "order",
        "kind",
        "subject_id",
        "state",
        "recipient",
        "language",
        "by_plugin",
        "attempts",
        "error",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    fields = readonly_fields
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrderEmail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OrderEmail | None = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("ecommerce_kit_orders.change_orderemail"))

    @admin.action(
        description=_("Send selected e-mails again (failed, skipped or stuck sending)"),
        permissions=["send"],
    )
    def send_again(self, request: HttpRequest, queryset: QuerySet[OrderEmail]) -> None:
        from ecommerce_kit.emails import send_again

        sent = send_again(list(queryset.values_list("pk", flat=True)))
        messages.info(
            request,
            ngettext("Sent %(count)d e-mail.", "Sent %(count)d e-mails.", sent) % {"count": sent},
        )
