"""``manage.py cancel_unpaid_orders``: the payment timeout, for hosts without Celery beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ecommerce_kit.orders.services import cancel_unpaid_orders


class Command(BaseCommand):
    help = (
        "Cancel pending orders whose payment was not completed within PAYMENT_TIMEOUT, "
        "restoring their stock."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cancelled = cancel_unpaid_orders()
        self.stdout.write(f"Cancelled {cancelled} unpaid order(s).")
