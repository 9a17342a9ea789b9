"""``manage.py rebuild_ratings [--check]``: recompute every product rating from its reviews."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecommerce_kit.reviews.selectors import RatingValues
from ecommerce_kit.reviews.services import rebuild_ratings


def _describe(values: RatingValues) -> str:
    average = "null" if values.average is None else f"{values.average:f}"
    distribution = ", ".join(
        f"{stars}★={n}" for stars, n in zip(range(1, 6), values.distribution, strict=True)
    )
    return f"count={values.count} total={values.total} average={average} [{distribution}]"


class Command(BaseCommand):
    help = (
        "Recompute every product's rating (count, average, distribution) from its public "
        "reviews, fix the ratings that had drifted and list them. With --check, only report, "
        "and exit with status 1 when any rating had drifted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report drifted ratings; change nothing."
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        drifts = rebuild_ratings(fix=not check)
        for drift in drifts:
            self.stdout.write(
                f"Product {drift.product_id}: stored {_describe(drift.stored)}; "
                f"from reviews {_describe(drift.expected)}"
            )
        if not drifts:
            self.stdout.write(self.style.SUCCESS("Every product rating matches its reviews."))
            return
        if check:
            raise CommandError(
                f"{len(drifts)} product rating(s) had drifted from their reviews "
                f"(run without --check to fix them).",
                returncode=1,
            )
        self.stdout.write(self.style.WARNING(f"Fixed {len(drifts)} drifted product rating(s)."))
