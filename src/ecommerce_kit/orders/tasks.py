"""Celery tasks of the orders app (the host runs the worker and beat)."""

from __future__ import annotations

from celery import shared_task

from ecommerce_kit.orders import idempotency, services


@shared_task(name="ecommerce_kit.orders.cancel_unpaid_orders", acks_late=True)
def cancel_unpaid_orders() -> int:
    """Cancel pending orders older than ``PAYMENT_TIMEOUT`` and restock them; run it periodically.

    Idempotent: running it twice, or on two workers at once, cancels each order once.

    :returns: How many orders were cancelled.
    """
    return services.cancel_unpaid_orders()


@shared_task(name="ecommerce_kit.orders.purge_idempotency_keys", acks_late=True)
def purge_idempotency_keys() -> int:
    """Delete ``Idempotency-Key`` records older than ``IDEMPOTENCY_KEY_TTL``; run it daily.

    :returns: How many records were deleted.
    """
    return idempotency.purge_expired_keys()
