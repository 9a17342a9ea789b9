"""Sign in (merging the anonymous cart), sign out and sign up, with Django's session auth.

The seller's desk uses the same pages: ``?next=`` brings the user back where they were.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecommerce_kit.catalog.models import Product
from storefront.cart import SESSION_KEY, merge_anonymous_cart
from storefront.forms import SignUpForm
from storefront.navigation import local_target


def _report_merge(request: HttpRequest, token: str | None) -> None:
    """Merge the anonymous cart ``token`` into the user's and tell the shopper what happened."""
    result = merge_anonymous_cart(request, token)
    if result is None:
        return
    if result.merged:
        messages.success(
            request,
            ngettext(
                "Your cart was merged: %(count)d product moved to your account's cart.",
                "Your cart was merged: %(count)d products moved to your account's cart.",
                len(result.merged),
            )
            % {"count": len(result.merged)},
            extra_tags="merge-report",
        )
    if result.dropped:
        names = Product.objects.filter(pk__in=result.dropped).values_list("name", flat=True)
        messages.warning(
            request,
            _("Left out of your cart (no longer available or out of stock): %(names)s.")
            % {"names": ", ".join(sorted(names))},
            extra_tags="merge-report",
        )


class SignInView(auth_views.LoginView):
    """Django's login view; the anonymous cart of the session is merged into the user's."""

    template_name = "storefront/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        # login() rotates the session: read the anonymous cart's token before it.
        token = self.request.session.get(SESSION_KEY)
        response = super().form_valid(form)
        _report_merge(self.request, token)
        return response


class SignOutView(auth_views.LogoutView):
    """Django's logout view (POST only), back to the shop (``LOGOUT_REDIRECT_URL``)."""


def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account, sign it in and merge the anonymous cart."""
    if request.user.is_authenticated:
        return redirect("storefront:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            # A concurrent sign-up took the name or address between validation and insert.
            form.add_error(None, _("A user with that username or email address already exists."))
        else:
            token = request.session.get(SESSION_KEY)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s!") % {"name": user.get_username()})
            _report_merge(request, token)
            return HttpResponseRedirect(local_target(request, "next", "storefront:home"))
    return render(
        request,
        "storefront/sign_up.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )
