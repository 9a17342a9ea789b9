from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """JWT sign-up, sign-in, token refresh and sign-out for the example site."""

    name = "accounts"
    verbose_name = "Accounts"
