"""``manage.py refresh_listing_prices [--check]``: recompute the stored listing prices."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecommerce_kit.catalog.services import (
    ListingPriceDrift,
    find_listing_price_drifts,
    refresh_listing_prices,
)


def _describe(drift: ListingPriceDrift) -> str:
    (low, high), (expected_low, expected_high) = drift.stored, drift.expected
    return (
        f"Product {drift.product_id}: stored listing_price={low:f} listing_price_max={high:f}; "
        f"from its rows listing_price={expected_low:f} listing_price_max={expected_high:f}"
    )


class Command(BaseCommand):
    help = (
        "Recompute every product's stored listing price (the lowest and highest price of its "
        "active variants, or its own price) after writes that bypassed Product.save(), such as "
        "a bulk import; fix the products that had drifted and list them. With --check, only "
        "report, and exit with status 1 when any product had drifted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report drifted products; change nothing."
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        drifts = find_listing_price_drifts()
        for drift in drifts:
            self.stdout.write(_describe(drift))
        if not drifts:
            self.stdout.write(self.style.SUCCESS("Every product's listing price matches its rows."))
            return
        if check:
            raise CommandError(
                f"{len(drifts)} product listing price(s) had drifted "
                f"(run without --check to fix them).",
                returncode=1,
            )
        refresh_listing_prices(ids=[drift.product_id for drift in drifts])
        self.stdout.write(
            self.style.WARNING(f"Fixed {len(drifts)} drifted product listing price(s).")
        )
