"""The audit log of transitions, written by the orders and payments services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from ecommerce_kit.orders.models import Order, TransitionLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

#: The rows recorded inside :func:`batched`, written when it ends; ``None`` outside it.
_pending: ContextVar[list[TransitionLog] | None] = ContextVar("ek_audit_pending", default=None)


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

    Inside :func:`batched` the row is written with the block's other rows when the block ends.

    :param order: The order the subject belongs to (or its primary key).
    :param subject: ``"order"``, ``"fulfilment"`` or ``"payment"`` (:class:`TransitionLog.Subject`).
    :param subject_id: The primary key of the order, fulfilment or payment.
    :param transition: The transition's name, e.g. ``"cancel"``.
    :param source: The status before.
    :param target: The status after.
    :param actor: The user who caused it; ``None`` (or an anonymous user) for the system.
    :param note: Free text, e.g. a reason or a gateway reference.
    :returns: The row (saved, or to be saved at the end of the batch).
    """
    if subject not in TransitionLog.Subject.values:
        raise ValueError(f"Unknown audit subject {subject!r}")
    order_id = order if isinstance(order, int) else order.pk
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    row = TransitionLog(
        order_id=order_id,
        subject=subject,
        subject_id=subject_id,
        transition=transition,
        source=str(source),
        target=str(target),
        actor_id=actor_id,
        note=note,
    )
    pending = _pending.get()
    if pending is None:
        row.save(force_insert=True)
    else:
        pending.append(row)
    return row


@contextmanager
def batched() -> Iterator[None]:
    """Write the audit rows recorded inside the block in one ``INSERT`` when it ends.

    Open it directly inside the ``transaction.atomic()`` block of the transitions: when the block
    raises, its rows are dropped with the transaction. A nested block leaves the writing to the
    outer one.
    """
    if _pending.get() is not None:
        yield
        return
    rows: list[TransitionLog] = []
    token = _pending.set(rows)
    try:
        yield
    finally:
        _pending.reset(token)
    if rows:
        TransitionLog.objects.bulk_create(rows)
