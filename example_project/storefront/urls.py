"""Mounted at ``shop/`` by :mod:`config.urls`."""

from __future__ import annotations

from django.urls import path

from storefront.views import account, cart, catalog, checkout, orders, wishlist

app_name = "storefront"

urlpatterns = [
    path("", catalog.product_list, name="home"),
    path("products/<slug:slug>/", catalog.product_detail, name="product"),
    path("cart/", cart.cart_detail, name="cart"),
    path("cart/add/", cart.cart_add, name="cart-add"),
    path("cart/items/<int:item_id>/", cart.cart_update, name="cart-update"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/<str:number>/", orders.order_detail, name="order"),
    path("orders/<str:number>/cancel/", orders.order_cancel, name="order-cancel"),
    path("orders/<str:number>/pay/", orders.order_pay, name="order-pay"),
    path(
        "orders/<str:number>/items/<int:item_id>/review/", orders.order_review, name="order-review"
    ),
    path("wishlist/", wishlist.wishlist, name="wishlist"),
    path("wishlist/<int:product_id>/", wishlist.wishlist_toggle, name="wishlist-toggle"),
    path("sign-in/", account.SignInView.as_view(), name="sign-in"),
    path("sign-out/", account.SignOutView.as_view(), name="sign-out"),
    path("sign-up/", account.sign_up, name="sign-up"),
]
