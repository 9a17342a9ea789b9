"""Mounted at ``desk/`` by :mod:`config.urls`."""

from __future__ import annotations

from django.urls import path

from desk.views import fulfilments, products, stores

app_name = "desk"

urlpatterns = [
    path("", stores.home, name="home"),
    path("store/open/", stores.open_store, name="open-store"),
    path("products/", products.product_list, name="products"),
    path("products/new/", products.product_create, name="product-create"),
    path("products/<int:product_id>/", products.product_edit, name="product"),
    path("products/<int:product_id>/variants/new/", products.variant_create, name="variant-create"),
    path(
        "products/<int:product_id>/deactivate/",
        products.product_deactivate,
        name="product-deactivate",
    ),
    path("stock/", products.stock, name="stock"),
    path("stock/<int:product_id>/", products.stock_set, name="stock-set"),
    path("fulfilments/", fulfilments.fulfilment_list, name="fulfilments"),
    path("fulfilments/<int:fulfilment_id>/", fulfilments.fulfilment_detail, name="fulfilment"),
    *(
        path(
            f"fulfilments/<int:fulfilment_id>/{action}/",
            fulfilments.fulfilment_action,
            {"action": action},
            name=f"fulfilment-{action}",
        )
        for action in fulfilments.ACTIONS
    ),
]
