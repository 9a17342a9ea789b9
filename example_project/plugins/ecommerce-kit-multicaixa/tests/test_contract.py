"""The kit's gateway contract, run against both gateways and the fake provider, and what each
gateway adds to it.

(The fake provider comes from ``conftest.py``; this module imports nothing else from
``tests``, so the kit's own suite can load it as it is.)
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from ecommerce_kit_multicaixa import plugin
from ecommerce_kit_multicaixa.gateway import SIGNATURE_HEADER, sign
from ecommerce_kit_multicaixa.testing import (
    API_KEY,
    API_URL,
    UNREGISTERED_PHONE,
    WEBHOOK_SECRET,
    FakeMulticaixa,
    webhook_request,
)
from moneyed import Money

from ecommerce_kit import plugins
from ecommerce_kit.exceptions import InvalidInputError
from ecommerce_kit.testing.contract import GatewayContract

#: The kit's event types, as each gateway's provider writes them.
PROVIDER_TYPES = {
    "multicaixa_ref": {
        "payment.captured": "reference.paid",
        "payment.failed": "reference.expired",
        "payment.refunded": "reference.refunded",
        "payment.voided": "reference.cancelled",
    },
    "multicaixa_express": {
        "payment.captured": "express.accepted",
        "payment.failed": "express.rejected",
        "payment.refunded": "express.refunded",
        "payment.voided": "express.cancelled",
    },
}


class MulticaixaContract(GatewayContract):
    """What both gateways' contracts share (not collected: its name does not start with Test)."""

    plugin = plugin
    currency = "AOA"

    def gateway_options(self) -> dict[str, Any]:
        return {"api_url": API_URL, "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}

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
        data = {
            "reference_id": payment.reference,
            "amount": str(amount.amount),
            "currency": str(amount.currency),
        }
        if idempotency_key:
            data["idempotency_key"] = idempotency_key
        if movement_reference:
            data["refund_id"] = movement_reference
        fake = self._fake()
        made = fake.payments.get(payment.reference)
        if event_type == "payment.captured" and made is not None and made.status == "open":
            # The provider sends this when the buyer has paid: its fake must know it too.
            fake.pay(made.id)
            fake.outbox.clear()
        provider_type = PROVIDER_TYPES[self.gateway_id][event_type]
        return webhook_request({"id": event_id, "type": provider_type, "data": data})

    def refunds_at_provider(self, *, payment: Any) -> int | None:
        return len(self._fake().refunds_of(payment.reference))

    def _fake(self) -> FakeMulticaixa:
        return plugins.get_gateway(self.gateway_id).transport  # type: ignore[attr-defined]

    # --- What Multicaixa adds to the contract -------------------------------------------

    def test_every_request_sends_the_kits_key(self, order: Any) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order

        payment = self._captured_payment(order)
        refund_order(order=order, amount=self._part(payment), actor=None)
        refund = LedgerEntry.objects.get(payment=payment, kind="refund")
        keys = [request.headers["Idempotency-Key"] for request in self._fake().requests]
        assert keys == [payment.idempotency_key, refund.idempotency_key]
        assert refund.reference == self._fake().refunds_of(payment.reference)[0]["id"]

    @pytest.mark.parametrize(
        "data",
        [
            {"refund_id": 9},
            {"idempotency_key": "k" * 256},
            {"amount": "ten"},
            {"currency": "XYZ"},
            {"reference_id": ""},
        ],
    )
    def test_unreadable_events_are_refused(
        self, options: dict[str, Any], order: Any, data: dict[str, Any]
    ) -> None:
        payment = self._start(order, "success")
        body = json.dumps(
            {
                "id": "evt_bad",
                "type": PROVIDER_TYPES[self.gateway_id]["payment.refunded"],
                "data": {
                    "reference_id": payment.reference,
                    "amount": "10.00",
                    "currency": "AOA",
                    **data,
                },
            }
        ).encode()
        headers = {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET, int(time.time()))}
        gateway = plugins.get_gateway(self.gateway_id)
        with pytest.raises(InvalidInputError):
            gateway.parse_webhook(body=body, headers=headers, options=options)


class TestMulticaixaReferenceContract(MulticaixaContract):
    gateway_id = "multicaixa_ref"

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        return {} if outcome == "success" else None


class TestMulticaixaExpressContract(MulticaixaContract):
    gateway_id = "multicaixa_express"

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        return {
            "success": {"phone": "+244 923 456 789"},
            "decline": {"phone": UNREGISTERED_PHONE},
        }.get(outcome)
