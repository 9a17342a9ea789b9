from __future__ import annotations

from typing import Any

import pytest

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def gateways_config(settings: Any) -> dict[str, Any]:
    """Configure the dummy gateway (with a webhook secret); returns the mutable gateway dict."""
    gateways: dict[str, Any] = {"dummy": {"webhook_secret": WEBHOOK_SECRET}}
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "PAYMENT_GATEWAYS": gateways}
    return gateways
