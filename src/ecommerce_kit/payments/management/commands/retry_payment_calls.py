"""``manage.py retry_payment_calls``: settle stuck captures, refunds and voids (no beat)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ecommerce_kit.payments.services import retry_open_entries


class Command(BaseCommand):
    help = (
        "Call the payment provider again, with the same idempotency key, for captures, refunds "
        "and voids left requested or unknown (a timeout, a crash), and settle them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=5,
            metavar="MINUTES",
            help="Only entries left open at least this long (default: 5).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = retry_open_entries(older_than=timedelta(minutes=options["older_than"]))
        self.stdout.write(f"{count} open ledger entries called for again.")
