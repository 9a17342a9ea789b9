"""``manage.py startgateway NAME [--directory DIR]``: ``python -m ecommerce_kit.startgateway``
from a project that installs the kit's apps."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ecommerce_kit.startgateway import USAGE_ERROR, StartGatewayError, next_steps, start_gateway


class Command(BaseCommand):
    help = (
        "Write a new payment gateway distribution, ecommerce-kit-<name>/, that passes the kit's "
        "contract suite as it stands."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the gateway's id, e.g. acmepay (lower case, digits, _)")
        parser.add_argument(
            "--directory",
            default=".",
            help="the existing folder to write ecommerce-kit-<name>/ into (default: here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            target = start_gateway(options["name"], options["directory"])
        except StartGatewayError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        self.stdout.write(next_steps(target))
