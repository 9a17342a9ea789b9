"""``manage.py recompute_payments [--check]``: compare payments with their ledger, repair drift."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecommerce_kit.payments.services import recompute_payments


class Command(BaseCommand):
    help = (
        "Recompute every payment's totals and status, and its order's money status, from the "
        "ledger. With --check, only report the differences (exit status 1 when there are any)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Report drift without repairing it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        drifts = recompute_payments(repair=not options["check"])
        for drift in drifts:
            self.stdout.write(
                f"{drift.subject}: {drift.field} is {drift.stored}, the ledger says {drift.ledger}"
            )
        if options["check"]:
            if drifts:
                raise CommandError(f"{len(drifts)} differences from the ledger.")
            self.stdout.write("Every payment and order agrees with the ledger.")
        else:
            self.stdout.write(f"{len(drifts)} differences repaired.")
