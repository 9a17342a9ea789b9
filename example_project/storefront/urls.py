"""Mounted at ``shop/`` by :mod:`config.urls`."""

from __future__ import annotations

from django.urls import path

from storefront.views import account, cart, catalog, wishlist

app_name = "storefront"

urlpatterns = [
    path("", catalog.product_list, name="home"),
    path("products/<slug:slug>/", catalog.product_detail, name="product"),
    path("cart/", cart.cart_detail, name="cart"),
    path("cart/add/", cart.cart_add, name="cart-add"),
    path("cart/items/<int:item_id>/", cart.cart_update, name="cart-update"),
    path("wishlist/", wishlist.wishlist, name="wishlist"),
    path("wishlist/<int:product_id>/", wishlist.wishlist_toggle, name="wishlist-toggle"),
    path("sign-in/", account.SignInView.as_view(), name="sign-in"),
    path("sign-out/", account.SignOutView.as_view(), name="sign-out"),
    path("sign-up/", account.sign_up, name="sign-up"),
]
