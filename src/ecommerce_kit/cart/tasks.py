"""Celery tasks of the cart app (the host runs the worker and beat)."""

from __future__ import annotations

from celery import shared_task

from ecommerce_kit.cart import services


@shared_task(name="ecommerce_kit.cart.purge_stale_carts", acks_late=True)
def purge_stale_carts() -> int:
    """Delete anonymous carts untouched for ``CART_TTL``; return how many were deleted.

    Idempotent and safe to retry. Schedule it with Celery beat, e.g. daily.
    """
    return services.purge_stale_carts()
