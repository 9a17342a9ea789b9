from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the example site (the ``seed_demo`` management command)."""

    name = "demo"
    verbose_name = "Demo data"
