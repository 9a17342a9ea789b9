"""Routes of the wishlist (included by :mod:`ecommerce_kit.urls`)."""

from __future__ import annotations

from django.urls import path

from ecommerce_kit.wishlist import views

urlpatterns = [
    path("wishlist/", views.WishlistView.as_view(), name="wishlist-list"),
    path("wishlist/<int:product_id>/", views.WishlistItemView.as_view(), name="wishlist-detail"),
]
