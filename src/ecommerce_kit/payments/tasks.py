"""Celery tasks of the payments app (the host runs the worker and beat)."""

from __future__ import annotations

from celery import shared_task

from ecommerce_kit.payments import services


@shared_task(name="ecommerce_kit.payments.retry_payment_calls", acks_late=True)
def retry_payment_calls() -> int:
    """Call the provider again for captures, refunds and voids left ``requested`` or ``unknown``
    for five minutes or more (a timeout, a crash); run it every few minutes.

    Idempotent: each call is repeated with the ledger entry's own key, so the provider moves the
    money once, and each entry is settled once.

    :returns: How many entries were called for.
    """
    return services.retry_open_entries()
