"""The one URLconf a host includes: ``path("api/v1/", include("ecommerce_kit.urls"))``."""

from __future__ import annotations

from django.urls import include, path

from ecommerce_kit.api.health import HealthView

app_name = "ecommerce_kit"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("", include("ecommerce_kit.catalog.urls")),
    path("", include("ecommerce_kit.reviews.urls")),
    path("", include("ecommerce_kit.wishlist.urls")),
    path("", include("ecommerce_kit.cart.urls")),
    path("", include("ecommerce_kit.orders.urls")),
    path("", include("ecommerce_kit.payments.urls")),
]
