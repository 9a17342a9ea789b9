"""The example site's URLs, plus the floor's views under ``/floor/``."""

from __future__ import annotations

from config.urls import urlpatterns as site_urlpatterns
from django.urls import include, path

from bench.floor import views

floor_urlpatterns = [
    path("products/", views.ProductListView.as_view()),
    path("products/<int:pk>/", views.ProductDetailView.as_view()),
    path("cart/", views.CartView.as_view()),
    path("cart/items/", views.CartItemsView.as_view()),
    path("checkout/", views.CheckoutView.as_view()),
]

urlpatterns = [*site_urlpatterns, path("floor/", include(floor_urlpatterns))]
