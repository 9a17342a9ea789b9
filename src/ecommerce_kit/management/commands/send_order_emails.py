"""``manage.py send_order_emails``: send the order e-mails left pending, for hosts without Celery
beat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ecommerce_kit.emails import send_pending_emails


class Command(BaseCommand):
    help = (
        "Send the order e-mails left pending for ten minutes or more (a broker that was down, "
        "a mail server that kept refusing)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_pending_emails()
        self.stdout.write(f"Sent {sent} pending order e-mail(s).")
