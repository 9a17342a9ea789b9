"""Read-only queries of the payments app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from ecommerce_kit.exceptions import NotFoundError
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.permissions import VIEW_PAYMENT, staff_has_perm

if TYPE_CHECKING:
    from ecommerce_kit.orders.models import Order


def get_order_for_payments(*, number: str, user: Any) -> Order:
    """Return the order ``number`` when ``user`` is its buyer, or staff who may view payments
    (``ecommerce_kit_payments.view_payment``).

    :raises NotFoundError: for anyone else (the sellers in the order included), so that order
        numbers cannot be probed.
    """
    from ecommerce_kit.orders.models import Order

    queryset = Order.objects.all()
    if not staff_has_perm(user, VIEW_PAYMENT):
        queryset = queryset.filter(buyer_id=getattr(user, "pk", None))
    order = queryset.filter(number=number).first()
    if order is None:
        raise NotFoundError()
    return order


def list_order_payments(*, order: Order) -> QuerySet[Payment]:
    """Return the payments of ``order``, oldest first, with their ledger entries (refunds)."""
    return (
        Payment.objects.filter(order=order).prefetch_related("entries").order_by("created_at", "id")
    )
