"""Cart URLs, included by :mod:`ecommerce_kit.urls` (names ``ecommerce_kit:cart-*``)."""

from __future__ import annotations

from django.urls import path

from ecommerce_kit.cart import views

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart-detail"),
    path("cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:item_id>/", views.CartItemView.as_view(), name="cart-item-detail"),
    path("cart/merge/", views.CartMergeView.as_view(), name="cart-merge"),
]
