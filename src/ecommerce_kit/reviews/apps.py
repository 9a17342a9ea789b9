from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "ecommerce_kit.reviews"
    label = "ecommerce_kit_reviews"
    verbose_name = _("Reviews")
    default_auto_field = "django.db.models.BigAutoField"
