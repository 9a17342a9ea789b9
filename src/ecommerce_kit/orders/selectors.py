"""Read-only queries for orders and fulfilments, scoped to who is asking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django_fsm import get_available_user_FIELD_transitions, has_transition_perm

from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.states import OrderStatus, OrderView
from ecommerce_kit.permissions import (
    REFUND_PAYMENT,
    VIEW_FULFILMENT,
    VIEW_ORDER,
    VIEW_PAYMENT,
    staff_has_perm,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


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


def cache_related(instance: Model, name: str, rows: list[Any]) -> None:
    """Give ``instance`` the related ``rows`` of ``name`` as a prefetch would (sorted by id), so
    that ``getattr(instance, name).all()`` reads them without a query.

    For rows a service has just written or read under a lock: the representation of what it
    returns needs no second read.
    """
    queryset = getattr(instance, name).all()
    queryset._result_cache = sorted(rows, key=lambda row: row.pk)
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def may_view_every_order(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether ``user`` is staff holding ``ecommerce_kit_orders.view_order``."""
    return staff_has_perm(user, VIEW_ORDER)


def list_orders_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """The order list of ``user``: their own orders; every order for staff who may view orders."""
    if not user.is_authenticated:
        return Order.objects.none()
    if may_view_every_order(user):
        return Order.objects.all()
    return Order.objects.filter(buyer_id=user.pk)


def list_visible_orders(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """Orders ``user`` may open: as buyer, as a seller with a fulfilment in them, or as staff who
    may view every order."""
    if not user.is_authenticated:
        return Order.objects.none()
    if may_view_every_order(user):
        return Order.objects.all()
    sells_in = Exists(Fulfilment.objects.filter(order=OuterRef("pk"), store__owner_id=user.pk))
    return Order.objects.filter(Q(buyer_id=user.pk) | sells_in)


def get_visible_order(user: AbstractBaseUser | AnonymousUser, number: str) -> Order | None:
    """The order ``number`` with its details, or ``None`` when ``user`` may not see it."""
    return with_order_details(list_visible_orders(user)).filter(number=number).first()


def list_fulfilments_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Fulfilment]:
    """Fulfilments ``user`` works on: their store's; every fulfilment for staff who may view
    fulfilments (``ecommerce_kit_orders.view_fulfilment``)."""
    if not user.is_authenticated:
        return Fulfilment.objects.none()
    queryset = (
        Fulfilment.objects.all()
        if staff_has_perm(user, VIEW_FULFILMENT)
        else Fulfilment.objects.filter(store__owner_id=user.pk)
    )
    return _with_fulfilment_details(queryset)


def list_visible_fulfilments(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Fulfilment]:
    """Fulfilments ``user`` may see, in the list or inside an order they may open.

    Their store's, every fulfilment for staff who may view fulfilments or orders. The
    fulfilment endpoints answer 404 outside this set and 403 inside it when ``user`` may not
    make the transition.
    """
    if not user.is_authenticated:
        return Fulfilment.objects.none()
    if staff_has_perm(user, VIEW_FULFILMENT) or may_view_every_order(user):
        return _with_fulfilment_details(Fulfilment.objects.all())
    return list_fulfilments_for(user)


def get_visible_fulfilment(
    user: AbstractBaseUser | AnonymousUser, fulfilment_id: int
) -> Fulfilment | None:
    """The fulfilment ``fulfilment_id`` with its store, or ``None`` when ``user`` may not see it."""
    return (
        list_visible_fulfilments(user)
        .prefetch_related(None)
        .select_related("store")
        .filter(pk=fulfilment_id)
        .first()
    )


def _with_fulfilment_details(queryset: QuerySet[Fulfilment]) -> QuerySet[Fulfilment]:
    return (
        queryset.select_related("store", "order")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


#: The fulfilment transitions exposed as ``fulfilments/{id}/<name>/``.
FULFILMENT_ACTIONS = ("process", "ship", "deliver")


def may_see_payments(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Payments of an order are for its buyer and for staff who may view payments
    (``ecommerce_kit_payments.view_payment``), never for the sellers in it."""
    if user is None or not user.is_authenticated:
        return False
    return order.buyer_id == user.pk or staff_has_perm(user, VIEW_PAYMENT)


def get_order_view(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> OrderView:
    """Which shape of ``order`` ``user`` gets.

    The buyer and staff who may view every order see it all (:attr:`OrderView.FULL`); anyone else
    who can open it is a seller in it and gets the seller's view (:attr:`OrderView.SELLER`).
    """
    if user is None or not user.is_authenticated:
        return OrderView.SELLER
    if order.buyer_id == user.pk or may_view_every_order(user):
        return OrderView.FULL
    return OrderView.SELLER


def list_seller_store_ids(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> set[int]:
    """The ids of the stores of ``user`` that have a fulfilment in ``order``.

    Uses the fulfilments prefetched with their stores (:func:`with_order_details`): no query.
    """
    if user is None or not user.is_authenticated:
        return set()
    return {
        fulfilment.store_id
        for fulfilment in order.fulfilments.all()
        if fulfilment.store.owner_id == user.pk
    }


def list_order_actions(order: Order, user: AbstractBaseUser | AnonymousUser | None) -> list[str]:
    """The actions ``user`` may take on ``order`` now, named as its endpoints.

    ``cancel`` (buyer while pending, confirmed or on hold, staff with ``cancel_order`` up to
    processing), ``pay`` (buyer, while pending) and ``refund`` (staff with ``refund_payment``,
    while captured money is not all refunded).
    """
    if user is None or not user.is_authenticated:
        return []
    actions = []
    if has_transition_perm(order.cancel, cast(Any, user)):
        actions.append("cancel")
    if order.status == OrderStatus.PENDING and order.buyer_id == user.pk:
        actions.append("pay")
    if may_refund(user) and order.charged > order.refunded:
        actions.append("refund")
    return actions


def may_refund(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether ``user`` is staff holding ``ecommerce_kit_payments.refund_payment``."""
    return staff_has_perm(user, REFUND_PAYMENT)


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
