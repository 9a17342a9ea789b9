from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "ecommerce_kit.orders"
    label = "ecommerce_kit_orders"
    verbose_name = _("Orders")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
