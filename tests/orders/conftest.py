from __future__ import annotations

from typing import Any

import pytest

WEBHOOK_SECRET = "whsec_orders_tests"


@pytest.fixture(autouse=True)
def dummy_gateway(settings: Any) -> dict[str, Any]:
    """Configure the built-in dummy gateway for every orders test."""
    gateways: dict[str, Any] = {"dummy": {"webhook_secret": WEBHOOK_SECRET}}
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": gateways}
    return gateways
