"""URLs of checkout, orders and fulfilments, included by :mod:`ecommerce_kit.urls`."""

from __future__ import annotations

from django.db import transaction
from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from ecommerce_kit.orders.views import CheckoutView, FulfilmentViewSet, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="orders")
router.register("fulfilments", FulfilmentViewSet, basename="fulfilments")

urlpatterns: list[URLPattern | URLResolver] = [
    path("checkout/", CheckoutView.as_view(), name="orders-checkout"),
    *router.urls,
]

# Outside ATOMIC_REQUESTS: the services commit the order before calling a payment gateway, and a
# request-wide transaction would hold their row locks across the network call.
for _pattern in urlpatterns:
    if isinstance(_pattern, URLPattern):
        transaction.non_atomic_requests(_pattern.callback)
