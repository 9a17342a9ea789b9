"""Mounted at ``api/v1/auth/`` by :mod:`config.urls`."""

from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("token/refresh/", views.TokenRefresh.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
