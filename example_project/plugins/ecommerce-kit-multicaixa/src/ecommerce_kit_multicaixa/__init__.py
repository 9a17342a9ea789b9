"""Multicaixa payments for ecommerce_kit, by reference and by Multicaixa Express (an example
third-party gateway plugin)."""

from __future__ import annotations

__version__ = "0.2.0"
