"""The shopper's orders: history, an order's status and payments, cancel, pay again, review.

Orders are read with the kit's selectors (``list_orders_for``, ``get_visible_order``) and changed
with its services, under the same permission checks as the API's order endpoints.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecommerce_kit.exceptions import EcommerceKitError, GatewayError, PaymentDeclinedError
from ecommerce_kit.orders import selectors
from ecommerce_kit.orders import services as order_services
from ecommerce_kit.orders.models import Order
from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.payments import services as payment_services
from ecommerce_kit.reviews import services as review_services
from ecommerce_kit.reviews.models import Review
from storefront.errors import describe, report
from storefront.forms import ReviewForm
from storefront.payment_options import available_options, find_option

PAGE_SIZE = 20


def _own_order(request: HttpRequest, number: str) -> Order:
    """The order ``number`` of the signed-in buyer (404 for anyone else's)."""
    order = selectors.get_visible_order(request.user, number)
    if order is None or order.buyer_id != request.user.pk:
        raise Http404(_("No such order."))
    return order


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.list_orders_for(request.user).order_by("-created_at", "-id")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "storefront/order_list.html", {"page": page})


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    order = selectors.with_order_details(Order.objects.filter(pk=order.pk)).get()
    actions = selectors.list_order_actions(order, request.user)
    payments = sorted(order.payments.all(), key=lambda p: (p.created_at, p.pk), reverse=True)
    for payment in payments:
        action = payment.next_action or {}
        payment.expires = parse_datetime(action["expires_at"]) if action.get("expires_at") else None  # type: ignore[attr-defined]
    may_pay = "pay" in actions and not any(
        p.status in ("pending", "authorized", "captured") for p in payments
    )
    reviewable = []
    if order.status == OrderStatus.DELIVERED or any(
        f.status == "delivered" for f in order.fulfilments.all()
    ):
        delivered = {f.pk for f in order.fulfilments.all() if f.status == "delivered"}
        reviewed = set(
            Review.objects.filter(
                user_id=request.user.pk,
                product_id__in=[item.product_id for item in order.items.all()],
            ).values_list("product_id", flat=True)
        )
        reviewable = [
            item
            for item in order.items.all()
            if item.fulfilment_id in delivered and item.product_id not in reviewed
        ]
    return render(
        request,
        "storefront/order_detail.html",
        {
            "order": order,
            "payments": payments,
            "may_cancel": "cancel" in actions,
            "may_pay": may_pay,
            "options": available_options(order.currency) if may_pay else [],
            "reviewable": [(item, ReviewForm(prefix=f"item-{item.pk}")) for item in reviewable],
        },
    )


@require_POST
@login_required
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    try:
        order_services.cancel_order(
            order_id=order.pk,
            actor=request.user,
            note=request.POST.get("reason", "")[:500],
        )
    except EcommerceKitError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Your order is cancelled."))
    return redirect("storefront:order", number=number)


@require_POST
@login_required
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Pay a pending order again (its last payment failed or was never completed)."""
    order = _own_order(request, number)
    option = find_option(request.POST.get("payment"), order.currency)
    if option is None:
        messages.error(request, _("Choose a way to pay."))
        return redirect("storefront:order", number=number)
    try:
        payment_services.pay_order(
            order_id=order.pk,
            actor=request.user,
            payment_method=option.gateway,
            payment_data=dict(option.data),
        )
    except PaymentDeclinedError as exc:
        messages.error(request, _("%(reason)s The order is cancelled.") % {"reason": describe(exc)})
    except (GatewayError, EcommerceKitError) as exc:
        report(request, exc)
    else:
        messages.success(request, _("Payment started."))
    return redirect("storefront:order", number=number)


@require_POST
@login_required
def order_review(request: HttpRequest, number: str, item_id: int) -> HttpResponse:
    """Review a product of a delivered part of the order (the kit checks the purchase)."""
    order = _own_order(request, number)
    item = order.items.filter(pk=item_id).first()
    if item is None:
        raise Http404(_("No such order line."))
    form = ReviewForm(request.POST, prefix=f"item-{item.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a rating from 1 to 5 stars."))
        return redirect("storefront:order", number=number)
    try:
        review_services.create_review(
            user=request.user,
            product_id=item.product_id,
            rating=form.cleaned_data["rating"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
        )
    except EcommerceKitError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Thank you for your review."))
    return redirect("storefront:order", number=number)
