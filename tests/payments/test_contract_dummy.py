"""The gateway contract suite, run against the built-in dummy gateway (and, in
``test_contract_catches_broken_gateways``, against broken versions of it)."""

from __future__ import annotations

import json
from typing import Any

from moneyed import Money

from ecommerce_kit.payments import dummy
from ecommerce_kit.testing.contract import GatewayContract

pytest_plugins = ["pytester"]

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
        self,
        *,
        payment: Any,
        event_id: str,
        event_type: str,
        amount: Money | None = None,
        idempotency_key: str = "",
        movement_reference: str = "",
    ) -> tuple[bytes, dict[str, str]]:
        amount = payment.amount if amount is None else amount
        event = {
            "event_id": event_id,
            "payment_id": payment.pk,
            "type": event_type,
            "amount": {"amount": str(amount.amount), "currency": str(amount.currency)},
        }
        if idempotency_key:
            event["idempotency_key"] = idempotency_key
        if movement_reference:
            event["reference"] = movement_reference
        body = json.dumps(event).encode()
        return body, {dummy.SIGNATURE_HEADER: dummy.sign(body, SECRET)}
