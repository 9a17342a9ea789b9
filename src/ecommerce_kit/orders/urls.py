"""URLs of checkout, orders and fulfilments, included by :mod:`ecommerce_kit.urls`."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from ecommerce_kit.orders.views import CheckoutView, FulfilmentViewSet, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="orders")
router.register("fulfilments", FulfilmentViewSet, basename="fulfilments")

urlpatterns = [
    path("checkout/", CheckoutView.as_view(), name="orders-checkout"),
    *router.urls,
]
