from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "ecommerce_kit.catalog"
    label = "ecommerce_kit_catalog"
    verbose_name = _("Catalog")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
