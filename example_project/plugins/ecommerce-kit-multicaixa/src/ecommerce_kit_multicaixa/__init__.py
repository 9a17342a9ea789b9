"""Multicaixa payment references for ecommerce_kit (an example third-party gateway plugin)."""

from __future__ import annotations

__version__ = "0.1.0"
