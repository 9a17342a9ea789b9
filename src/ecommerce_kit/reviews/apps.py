from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, pre_delete
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "ecommerce_kit.reviews"
    label = "ecommerce_kit_reviews"
    verbose_name = _("Reviews")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
        from ecommerce_kit.reviews import services
        from ecommerce_kit.reviews.models import Review

        pre_delete.connect(
            services.lock_review_before_delete,
            sender=Review,
            dispatch_uid="ecommerce_kit.reviews.lock_review_before_delete",
        )
        post_delete.connect(
            services.update_rating_after_delete,
            sender=Review,
            dispatch_uid="ecommerce_kit.reviews.update_rating_after_delete",
        )
