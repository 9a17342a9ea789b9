"""URLs of the payments app, included by :mod:`ecommerce_kit.urls`."""

from __future__ import annotations

from django.db import transaction
from django.urls import path

from ecommerce_kit.payments.views import OrderPaymentListView, PaymentMethodListView, WebhookView

urlpatterns = [
    path("payment-methods/", PaymentMethodListView.as_view(), name="payments-methods"),
    # Outside ATOMIC_REQUESTS: applying an event may refund or void through the gateway, which
    # must never happen inside a transaction holding row locks.
    path(
        "payments/webhooks/<str:gateway>/",
        transaction.non_atomic_requests(WebhookView.as_view()),
        name="payments-webhook",
    ),
    path(
        "orders/<str:number>/payments/",
        OrderPaymentListView.as_view(),
        name="payments-order-payments",
    ),
]
