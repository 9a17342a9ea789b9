from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "ecommerce_kit.cart"
    label = "ecommerce_kit_cart"
    verbose_name = _("Carts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from ecommerce_kit import checks  # noqa: F401  (registers the system checks)
        from ecommerce_kit.cart.receivers import merge_session_cart_on_login

        user_logged_in.connect(
            merge_session_cart_on_login,
            dispatch_uid="ecommerce_kit.cart.merge_session_cart_on_login",
        )
