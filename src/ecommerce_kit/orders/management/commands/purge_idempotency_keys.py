"""``manage.py purge_idempotency_keys``: drop expired keys, for hosts without Celery beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ecommerce_kit.orders.idempotency import purge_expired_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired_keys()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
