"""The wishlist: the kit's ``add_to_wishlist`` / ``remove_from_wishlist`` / ``list_wishlist``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.wishlist import services
from ecommerce_kit.wishlist.selectors import list_wishlist
from storefront.errors import report
from storefront.navigation import local_target


@login_required
def wishlist(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/wishlist.html", {"items": list_wishlist(user=request.user)})


@require_POST
@login_required
def wishlist_toggle(request: HttpRequest, product_id: int) -> HttpResponse:
    """Add (``action=add``) or remove (``action=remove``) a product."""
    try:
        if request.POST.get("action") == "remove":
            services.remove_from_wishlist(user=request.user, product_id=product_id)
            messages.success(request, _("Removed from your wishlist."))
        else:
            services.add_to_wishlist(user=request.user, product_id=product_id)
            messages.success(request, _("Added to your wishlist."))
    except EcommerceKitError as exc:
        report(request, exc)
    return redirect(local_target(request, "back", "storefront:wishlist"))
