"""Checkout: the address, totals priced by the server, and a demo way to pay.

The totals shown are the kit's ``compute_totals`` for the cart and the address; the order is
placed by the same service as ``POST /api/v1/checkout/`` (``payments.services.checkout``), with
the total shown as ``expected_total``, so a price that changed meanwhile is reported instead of
charged.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from moneyed import Money

from ecommerce_kit.cart.selectors import get_cart_summary
from ecommerce_kit.exceptions import (
    EcommerceKitError,
    GatewayError,
    PaymentDeclinedError,
    PriceChangedError,
)
from ecommerce_kit.orders.services import compute_totals
from ecommerce_kit.payments.services import checkout as kit_checkout
from storefront.cart import current_cart
from storefront.errors import describe
from storefront.forms import AddressForm
from storefront.payment_options import available_options, find_option


def _totals(cart: Any, summary: Any, address: dict[str, Any]) -> dict[str, Money] | None:
    lines = [line.item for line in summary.available_lines]
    if not lines or len(lines) != len(summary.lines):
        return None
    try:
        return compute_totals(cart=cart, lines=lines, address=address)
    except EcommerceKitError:
        return None


def _expected_total(request: HttpRequest) -> Money | None:
    try:
        amount = Decimal(request.POST.get("expected_total", ""))
    except InvalidOperation:
        return None
    currency = request.POST.get("expected_currency", "")
    return Money(amount, currency) if currency else None


@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request, create=False)
    summary = get_cart_summary(cart) if cart is not None else None
    if summary is None or not summary.item_count:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    options = available_options(summary.currency)
    form = AddressForm(request.POST or None)
    error = ""
    chosen = request.POST.get("payment") or (options[0].key if options else "")
    if request.method == "POST" and form.is_valid():
        option = find_option(chosen, summary.currency)
        if option is None:
            error = _("Choose a way to pay.")
        else:
            try:
                order, _payment = kit_checkout(
                    user=request.user,
                    shipping_address=form.cleaned_data,
                    payment_method=option.gateway,
                    payment_data=dict(option.data),
                    expected_total=_expected_total(request),
                    idempotency_key=None,
                )
            except PaymentDeclinedError as exc:
                # The order is cancelled and the lines are back in the cart: try another way.
                error = _("%(reason)s Nothing was charged; your cart is as it was.") % {
                    "reason": describe(exc)
                }
            except GatewayError as exc:
                # The order stays pending with its stock: it can be paid from its page.
                messages.error(request, describe(exc))
                number = exc.extra.get("order")
                if number:
                    return redirect("storefront:order", number=number)
                error = describe(exc)
            except PriceChangedError as exc:
                error = _("%(reason)s Check the new totals below and place the order again.") % {
                    "reason": describe(exc)
                }
            except EcommerceKitError as exc:
                error = describe(exc)
            else:
                messages.success(
                    request,
                    _("Thank you! Your order %(number)s is placed.") % {"number": order.number},
                )
                return redirect("storefront:order", number=order.number)
        # The cart may have changed (declined: lines given back): price it again.
        summary = get_cart_summary(cart)
    address = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return render(
        request,
        "storefront/checkout.html",
        {
            "summary": summary,
            "form": form,
            "options": options,
            "chosen": chosen,
            "totals": _totals(cart, summary, address),
            "error": error,
        },
    )
