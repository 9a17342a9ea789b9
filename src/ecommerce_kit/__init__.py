"""ecommerce_kit: a pluggable e-commerce core for Django."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("ecommerce_kit")
"""Marker for plugin hook implementations: ``@hookimpl def register_payment_gateways(): ...``."""

#: What a host adds to its ``INSTALLED_APPS``: ``INSTALLED_APPS += ecommerce_kit.INSTALLED_APPS``.
#: The apps of the libraries the kit builds on (Django REST framework, django-filter,
#: django-money, django-countries for the translated country names), then the kit's core and its
#: apps. Django's ``auth`` and ``contenttypes``, which every new site has, are needed too. System
#: check ``ecommerce_kit.E012`` names any missing app.
INSTALLED_APPS: list[str] = [
    "rest_framework",
    "django_filters",
    "djmoney",
    "django_countries",
    "ecommerce_kit",
    "ecommerce_kit.catalog",
    "ecommerce_kit.cart",
    "ecommerce_kit.orders",
    "ecommerce_kit.payments",
    "ecommerce_kit.reviews",
    "ecommerce_kit.wishlist",
]

__all__ = ["INSTALLED_APPS", "__version__", "hookimpl"]
