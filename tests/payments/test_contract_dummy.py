"""The gateway contract suite, run against the built-in dummy gateway."""

from __future__ import annotations

import json
from typing import Any

from ecommerce_kit.payments import dummy
from ecommerce_kit.testing.contract import GatewayContract

SECRET = "whsec_contract"


class TestDummyGatewayContract(GatewayContract):
    plugin = dummy
    gateway_id = "dummy"

    def gateway_options(self) -> dict[str, Any]:
        return {"webhook_secret": SECRET}

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        tokens = {
            "success": "tok_success",
            "decline": "tok_decline",
            "authorize": "tok_authorize",
            "pending": "tok_pending",
        }
        return {"token": tokens[outcome]} if outcome in tokens else None

    def webhook_request(
        self, *, payment: Any, event_id: str, event_type: str
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(
            {
                "event_id": event_id,
                "payment_id": payment.pk,
                "type": event_type,
                "amount": {"amount": str(payment.amount.amount), "currency": payment.currency},
            }
        ).encode()
        return body, {dummy.SIGNATURE_HEADER: dummy.sign(body, SECRET)}
