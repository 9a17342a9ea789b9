from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "ecommerce_kit.catalog"
    label = "ecommerce_kit_catalog"
    verbose_name = _("Catalog")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate

        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
        from ecommerce_kit.catalog import services
        from ecommerce_kit.catalog.models import Product
        from ecommerce_kit.catalog.search import clear_search_features

        # A migration may add or drop the search column: ask the database again afterwards.
        post_migrate.connect(clear_search_features, sender=self)
        post_delete.connect(
            services.refresh_group_after_delete,
            sender=Product,
            dispatch_uid="ecommerce_kit.catalog.refresh_group_after_delete",
        )
