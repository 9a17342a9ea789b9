"""``manage.py purge_stale_carts``: delete anonymous carts untouched for ``CART_TTL``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ecommerce_kit.cart import services


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Delete anonymous carts that have not been changed for CART_TTL (or --older-than-days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the stale carts; delete nothing."
        )
        parser.add_argument(
            "--older-than-days",
            type=_positive_int,
            default=None,
            help="Use this age instead of the CART_TTL setting.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=1000,
            help="How many carts to delete per transaction (default 1000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        count = services.purge_stale_carts(
            older_than=timedelta(days=days) if days is not None else None,
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
        )
        if options["dry_run"]:
            self.stdout.write(f"{count} stale anonymous cart(s) would be removed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Removed {count} stale anonymous cart(s)."))
