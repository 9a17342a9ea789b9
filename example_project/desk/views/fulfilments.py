"""The store's fulfilments: its part of each order, worked through process → ship → deliver.

The list and the page read the kit's ``list_fulfilments_for`` (what ``GET
/api/v1/fulfilments/`` lists) narrowed to the seller's own store; the buttons shown are the
kit's ``list_fulfilment_actions``; each action is one call to the kit's
``process_fulfilment`` / ``ship_fulfilment`` / ``deliver_fulfilment``, which decide again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from storefront.errors import report

from desk.access import store_required
from desk.forms import ShipForm
from ecommerce_kit import money
from ecommerce_kit.catalog.models import Store
from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.orders import services
from ecommerce_kit.orders.models import Fulfilment
from ecommerce_kit.orders.selectors import list_fulfilment_actions, list_fulfilments_for
from ecommerce_kit.orders.serializers import SELLER_HOLD_REASON
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.orders.views import FulfilmentFilter

PAGE_SIZE = 25
#: The kit's fulfilment transitions the desk offers, each at ``fulfilments/<id>/<action>/``.
ACTIONS = ("process", "ship", "deliver")


def _own_fulfilments(request: HttpRequest, store: Store) -> QuerySet[Fulfilment]:
    """The kit's fulfilments of the user (every store's, for staff) narrowed to ``store``."""
    return list_fulfilments_for(request.user).filter(store=store)


@store_required
def fulfilment_list(request: HttpRequest, store: Store) -> HttpResponse:
    """The store's fulfilments, newest first, filtered by status with the kit's filter."""
    filterset = FulfilmentFilter(
        data={"status": request.GET.get("status", "")},
        queryset=_own_fulfilments(request, store),
    )
    errors: list[str] = []
    if filterset.is_valid():
        fulfilments = filterset.qs
    else:
        errors = [str(m) for field in filterset.form.errors.values() for m in field]
        fulfilments = _own_fulfilments(request, store).none()
    page = Paginator(fulfilments, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "fulfilment": fulfilment,
            "subtotal": money.total(
                (item.line_total for item in fulfilment.items.all()), fulfilment.order.currency
            ),
            "count": sum(item.quantity for item in fulfilment.items.all()),
        }
        for fulfilment in page
    ]
    return render(
        request,
        "desk/fulfilment_list.html",
        {
            "store": store,
            "section": "fulfilments",
            "page": page,
            "rows": rows,
            "statuses": FulfilmentStatus.choices,
            "selected": request.GET.get("status", ""),
            "errors": errors,
        },
    )


def _own_fulfilment(request: HttpRequest, store: Store, fulfilment_id: int) -> Fulfilment:
    fulfilment = _own_fulfilments(request, store).filter(pk=fulfilment_id).first()
    if fulfilment is None:
        raise Http404(_("No such fulfilment for your store."))
    return fulfilment


def _detail(
    request: HttpRequest,
    store: Store,
    fulfilment: Fulfilment,
    *,
    ship_form: ShipForm | None = None,
) -> HttpResponse:
    order = fulfilment.order
    lines = list(fulfilment.items.all())
    return render(
        request,
        "desk/fulfilment_detail.html",
        {
            "store": store,
            "section": "fulfilments",
            "fulfilment": fulfilment,
            "order": order,
            "lines": lines,
            "subtotal": money.total((line.line_total for line in lines), order.currency),
            "actions": list_fulfilment_actions(fulfilment, request.user),
            "ship_form": ship_form or ShipForm(),
            "on_hold": order.status == OrderStatus.ON_HOLD,
            "hold_reason": SELLER_HOLD_REASON,
            "unpaid": order.status == OrderStatus.PENDING,
        },
    )


@store_required
def fulfilment_detail(request: HttpRequest, store: Store, fulfilment_id: int) -> HttpResponse:
    """The store's part of one order: its lines, subtotal, address and the actions allowed now."""
    return _detail(request, store, _own_fulfilment(request, store, fulfilment_id))


_DONE = {
    "process": gettext_lazy("Order %(number)s: processing your part."),
    "ship": gettext_lazy("Order %(number)s: your part is shipped."),
    "deliver": gettext_lazy("Order %(number)s: your part is delivered."),
}


@require_POST
@store_required
def fulfilment_action(
    request: HttpRequest, store: Store, fulfilment_id: int, action: str
) -> HttpResponse:
    """Apply ``action`` (process, ship with a tracking number, deliver) through the kit.

    Then back to the fulfilment's page, with the kit's words when it refused (out of order:
    ``transition_not_allowed``; the payment no longer covers the order: ``payment_missing``), and
    nothing changed. A tracking number over 100 characters is shown on the form.
    """
    fulfilment = _own_fulfilment(request, store, fulfilment_id)
    try:
        if action == "process":
            services.process_fulfilment(fulfilment_id=fulfilment.pk, actor=request.user)
        elif action == "ship":
            form = ShipForm(request.POST)
            if not form.is_valid():
                return _detail(request, store, fulfilment, ship_form=form)
            services.ship_fulfilment(
                fulfilment_id=fulfilment.pk,
                actor=request.user,
                tracking_number=form.cleaned_data["tracking_number"],
            )
        else:
            services.deliver_fulfilment(fulfilment_id=fulfilment.pk, actor=request.user)
    except EcommerceKitError as exc:
        report(request, exc)
    else:
        messages.success(request, str(_DONE[action]) % {"number": fulfilment.order.number})
    return redirect("desk:fulfilment", fulfilment.pk)
