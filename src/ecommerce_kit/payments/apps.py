from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "ecommerce_kit.payments"
    label = "ecommerce_kit_payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
