"""The audit log of transitions, written by the orders and payments services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecommerce_kit.orders.models import Order, TransitionLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def record_transition(
    *,
    order: Order | int,
    subject: str,
    subject_id: int,
    transition: str,
    source: str,
    target: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    note: str = "",
) -> TransitionLog:
    """Write one audit row; call it inside the transaction that performs the transition.

    :param order: The order the subject belongs to (or its primary key).
    :param subject: ``"order"``, ``"fulfilment"`` or ``"payment"`` (:class:`TransitionLog.Subject`).
    :param subject_id: The primary key of the order, fulfilment or payment.
    :param transition: The transition's name, e.g. ``"cancel"``.
    :param source: The status before.
    :param target: The status after.
    :param actor: The user who caused it; ``None`` (or an anonymous user) for the system.
    :param note: Free text, e.g. a reason or a gateway reference.
    :returns: The saved row.
    """
    if subject not in TransitionLog.Subject.values:
        raise ValueError(f"Unknown audit subject {subject!r}")
    order_id = order if isinstance(order, int) else order.pk
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    return TransitionLog.objects.create(
        order_id=order_id,
        subject=subject,
        subject_id=subject_id,
        transition=transition,
        source=str(source),
        target=str(target),
        actor_id=actor_id,
        note=note,
    )
