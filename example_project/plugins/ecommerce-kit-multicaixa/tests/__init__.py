"""The tests of ecommerce-kit-multicaixa (``tests.settings`` is their Django settings)."""

from __future__ import annotations
