"""URLs of the payments app, included by :mod:`ecommerce_kit.urls`."""

from __future__ import annotations

from django.urls import path

from ecommerce_kit.payments.views import OrderPaymentListView, PaymentMethodListView, WebhookView

urlpatterns = [
    path("payment-methods/", PaymentMethodListView.as_view(), name="payments-methods"),
    path("payments/webhooks/<str:gateway>/", WebhookView.as_view(), name="payments-webhook"),
    path(
        "orders/<str:number>/payments/",
        OrderPaymentListView.as_view(),
        name="payments-order-payments",
    ),
]
