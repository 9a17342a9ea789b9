"""The cart: add a product, change a quantity, remove a line. Every change is a kit service call."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecommerce_kit.cart import services as cart_services
from ecommerce_kit.cart.selectors import get_cart_summary
from ecommerce_kit.exceptions import EcommerceKitError
from storefront.cart import current_cart
from storefront.errors import report
from storefront.navigation import local_target


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def cart_detail(request: HttpRequest) -> HttpResponse:
    cart = current_cart(request, create=False)
    summary = get_cart_summary(cart) if cart is not None else None
    return render(request, "storefront/cart.html", {"summary": summary})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add ``quantity`` of ``product`` (a standalone product or a variant) to the cart."""
    back = local_target(request, "back", "storefront:cart")
    product_id, quantity = _int(request.POST.get("product")), _int(request.POST.get("quantity"))
    if product_id is None or quantity is None:
        messages.error(request, _("Choose a product and a quantity."))
        return redirect(back)
    cart = current_cart(request, create=True)
    assert cart is not None
    try:
        cart_services.add_item(cart=cart, product_id=product_id, quantity=quantity)
    except EcommerceKitError as exc:
        report(request, exc)
        return redirect(back)
    messages.success(request, _("Added to your cart."))
    return redirect("storefront:cart")


@require_POST
def cart_update(request: HttpRequest, item_id: int) -> HttpResponse:
    """Set a line's quantity, or remove the line (``remove`` button, or quantity 0)."""
    cart = current_cart(request, create=False)
    if cart is None:
        return redirect("storefront:cart")
    quantity = _int(request.POST.get("quantity"))
    try:
        if "remove" in request.POST or quantity == 0:
            cart_services.remove_item(cart=cart, item_id=item_id)
            messages.success(request, _("Removed from your cart."))
        elif quantity is None:
            messages.error(request, _("Enter a whole number."))
        else:
            cart_services.set_item_quantity(cart=cart, item_id=item_id, quantity=quantity)
            messages.success(request, _("Quantity updated."))
    except EcommerceKitError as exc:
        report(request, exc)
    return redirect("storefront:cart")
