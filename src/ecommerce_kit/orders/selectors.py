"""Read-only queries for orders and fulfilments, scoped to who is asking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django_fsm import get_available_user_FIELD_transitions, has_transition_perm

from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.states import OrderStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _is_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "is_staff", False))


def with_order_details(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Prefetch what the order representation shows: lines, fulfilments with stores, payments.

    Whatever the number of orders and lines, this costs a fixed number of queries.
    """
    return queryset.prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("id")),
        Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("store").order_by("id")),
        "payments",
        "payments__entries",
    )


def list_orders_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """The order list of ``user``: their own orders; every order for staff."""
    if not user.is_authenticated:
        return Order.objects.none()
    if _is_staff(user):
        return Order.objects.all()
    return Order.objects.filter(buyer_id=user.pk)


def list_visible_orders(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """Orders ``user`` may open: as buyer, as staff, or as a seller with a fulfilment in them."""
    if not user.is_authenticated:
        return Order.objects.none()
    if _is_staff(user):
        return Order.objects.all()
    sells_in = Exists(Fulfilment.objects.filter(order=OuterRef("pk"), store__owner_id=user.pk))
    return Order.objects.filter(Q(buyer_id=user.pk) | sells_in)


def get_visible_order(user: AbstractBaseUser | AnonymousUser, number: str) -> Order | None:
    """The order ``number`` with its details, or ``None`` when ``user`` may not see it."""
    return with_order_details(list_visible_orders(user)).filter(number=number).first()


def list_fulfilments_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Fulfilment]:
    """Fulfilments ``user`` works on: their store's; every fulfilment for staff."""
    if not user.is_authenticated:
        return Fulfilment.objects.none()
    queryset = (
        Fulfilment.objects.all()
        if _is_staff(user)
        else Fulfilment.objects.filter(store__owner_id=user.pk)
    )
    return (
        queryset.select_related("store", "order")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


#: The fulfilment transitions exposed as ``fulfilments/{id}/<name>/``.
FULFILMENT_ACTIONS = ("process", "ship", "deliver")


def may_see_payments(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Payments of an order are for its buyer and staff, not for the sellers in it."""
    if user is None or not user.is_authenticated:
        return False
    return _is_staff(user) or order.buyer_id == user.pk


def list_order_actions(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> list[str]:
    """The actions ``user`` may take on ``order`` now, named as its endpoints.

    ``cancel`` (buyer while pending or confirmed, staff up to processing), ``pay`` (buyer, while
    pending) and ``refund`` (staff, while captured money is not all refunded).
    """
    if user is None or not user.is_authenticated:
        return []
    actions = []
    if has_transition_perm(order.cancel, cast(Any, user)):
        actions.append("cancel")
    if order.status == OrderStatus.PENDING and order.buyer_id == user.pk:
        actions.append("pay")
    if _is_staff(user) and order.charged > order.refunded:
        actions.append("refund")
    return actions


def list_fulfilment_actions(
    fulfilment: Fulfilment, user: AbstractBaseUser | AnonymousUser | None
) -> list[str]:
    """The transitions (``process``, ``ship``, ``deliver``) ``user`` may apply to ``fulfilment``.

    Expects ``fulfilment.store`` and ``fulfilment.order`` to be loaded.
    """
    if user is None or not user.is_authenticated:
        return []
    return [
        transition.name
        for transition in get_available_user_FIELD_transitions(
            fulfilment, cast(Any, user), cast(Any, Fulfilment._meta.get_field("status"))
        )
        if transition.name in FULFILMENT_ACTIONS
    ]
