"""The example site's ``demo_reference`` gateway: the kit's gateway contract, and its reference."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from demo import gateways
from django.utils import timezone
from moneyed import Money

from ecommerce_kit.payments import dummy
from ecommerce_kit.testing.contract import GatewayContract

SECRET = "whsec_demo_reference"


class TestDemoReferenceContract(GatewayContract):
    plugin = gateways
    gateway_id = "demo_reference"
    currency = "AOA"

    def gateway_options(self) -> dict[str, Any]:
        return {"webhook_secret": SECRET, "expires_in_hours": 2}

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        # Every payment is a reference to pay: it can be neither declined nor authorized at once.
        return {} if outcome == "success" else None

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


@pytest.mark.parametrize(
    "payment_id, reference",
    [(1, "900 000 001"), (41, "900 000 041"), (123_456_789, "923 456 789")],
)
def test_reference_is_nine_digits_in_threes(payment_id, reference):
    assert gateways.reference_for(payment_id) == reference


def test_reference_expires_after_the_configured_hours():
    class Payment:
        pk = 7

    result = gateways.gateway.create_payment(
        payment=Payment(),  # type: ignore[arg-type]
        payment_data={},
        idempotency_key="k",
        options={"expires_in_hours": 3, "entity": "12345"},
    )

    assert result.outcome == "pending"
    action = result.next_action.as_dict()
    assert action["entity"] == "12345"
    assert re.fullmatch(r"\d{3} \d{3} \d{3}", action["reference"])
    expires = datetime.fromisoformat(action["expires_at"])
    assert abs(expires - (timezone.now() + timedelta(hours=3))) < timedelta(seconds=5)
    assert result.reference == "ref_" + action["reference"].replace(" ", "")
