from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "ecommerce_kit.cart"
    label = "ecommerce_kit_cart"
    verbose_name = _("Carts")
    default_auto_field = "django.db.models.BigAutoField"
