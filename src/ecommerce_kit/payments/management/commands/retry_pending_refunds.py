"""``manage.py retry_pending_refunds``: settle stuck refunds, for hosts without Celery beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ecommerce_kit.payments.services import retry_pending_refunds


class Command(BaseCommand):
    help = (
        "Repeat, with their own idempotency keys, refunds left pending for ten minutes or more "
        "(e.g. after a crash), and settle them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        settled = retry_pending_refunds()
        self.stdout.write(f"Settled {settled} pending refund(s).")
