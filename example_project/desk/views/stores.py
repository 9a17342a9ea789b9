"""The desk's home: the seller's store and its approval state, or a form to open one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from desk.access import owned_store
from desk.errors import show_on_form
from desk.forms import StoreForm
from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Store
from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.orders.selectors import list_fulfilments_for
from ecommerce_kit.orders.states import FulfilmentStatus


def _home(request: HttpRequest, store: Store | None, form: StoreForm | None) -> HttpResponse:
    context: dict[str, object] = {"store": store, "form": form, "section": "home"}
    if store is not None:
        fulfilments = list_fulfilments_for(request.user).filter(store=store)
        context.update(
            products=store.products.filter(is_active=True, parent__isnull=True).count(),
            to_process=fulfilments.filter(status=FulfilmentStatus.PENDING).count(),
            to_ship=fulfilments.filter(status=FulfilmentStatus.PROCESSING).count(),
        )
    return render(request, "desk/home.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's store with its approval state; without one, the form to open it."""
    store = owned_store(request.user)
    return _home(request, store, None if store is not None else StoreForm())


@require_POST
@login_required
def open_store(request: HttpRequest) -> HttpResponse:
    """Open a store with the kit's ``create_store``; it waits for staff approval."""
    form = StoreForm(request.POST)
    if form.is_valid():
        try:
            store = services.create_store(
                owner=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
            )
        except EcommerceKitError as exc:
            show_on_form(form, exc)
            return _home(request, owned_store(request.user), form)
        messages.success(
            request,
            _("Your store “%(name)s” is open. It sells once staff approve it.")
            % {"name": store.name},
        )
        return redirect("desk:home")
    return _home(request, owned_store(request.user), form)
