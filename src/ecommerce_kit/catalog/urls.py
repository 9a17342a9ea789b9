"""Catalog routes; included by :mod:`ecommerce_kit.urls` under the ``ecommerce_kit`` namespace.

Names: ``category-list``, ``category-detail``, ``product-list``, ``product-detail``,
``store-list``, ``store-detail``, ``store-approve``.
"""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from ecommerce_kit.catalog.views import CategoryViewSet, ProductViewSet, StoreViewSet

router = SimpleRouter()
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")
router.register("stores", StoreViewSet, basename="store")

urlpatterns = router.urls
