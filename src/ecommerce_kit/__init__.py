"""ecommerce_kit: a pluggable e-commerce core for Django."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("ecommerce_kit")
"""Marker for plugin hook implementations: ``@hookimpl def register_payment_gateways(): ...``."""

__all__ = ["__version__", "hookimpl"]
