"""Celery tasks of the payments app (the host runs the worker and beat)."""

from __future__ import annotations

from celery import shared_task

from ecommerce_kit.payments import services


@shared_task(name="ecommerce_kit.payments.retry_pending_refunds", acks_late=True)
def retry_pending_refunds() -> int:
    """Settle refunds left ``pending`` for ten minutes or more; run it periodically.

    Idempotent: each refund is repeated with its own idempotency key and settled once.

    :returns: How many refunds were settled.
    """
    return services.retry_pending_refunds()
