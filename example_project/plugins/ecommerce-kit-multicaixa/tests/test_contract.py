"""The kit's gateway contract, run against ``multicaixa_ref`` with a fake provider API, and what
this gateway adds to it."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from ecommerce_kit_multicaixa import plugin
from ecommerce_kit_multicaixa.gateway import SIGNATURE_HEADER, sign
from moneyed import Money

from ecommerce_kit.exceptions import InvalidInputError
from ecommerce_kit.payments.http import HttpResponse
from ecommerce_kit.testing.contract import GatewayContract

SECRET = "mcx_whsec"
API_URL = "https://mcx.test/v1"
PROVIDER_TYPES = {
    "payment.captured": "reference.paid",
    "payment.failed": "reference.expired",
    "payment.refunded": "reference.refunded",
    "payment.voided": "reference.cancelled",
}


class FakeMulticaixaAPI:
    """Answers like the provider would; records every request.

    Like the provider, it answers a repeated ``Idempotency-Key`` with its first answer (and does
    nothing again), and refuses a key reused for another request.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.references: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, tuple[tuple[str, str, Any], HttpResponse]] = {}
        self._ids = itertools.count(1)

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        payload = json.loads(body) if body else None
        self.requests.append((method, url, dict(headers), payload))
        if headers.get("Authorization") != "Bearer mcx_test_key":
            return self._answer(401, {"message": "bad key"})
        key = headers.get("Idempotency-Key")
        if key is not None and key in self.answers:
            request, answer = self.answers[key]
            if request != (method, url, payload):
                return self._answer(422, {"message": "Idempotency-Key reused for another request"})
            return answer
        answer = self._handle(method, url.removeprefix(API_URL), payload)
        if key is not None:
            self.answers[key] = ((method, url, payload), answer)
        return answer

    def refunds(self, reference: str) -> list[dict[str, Any]]:
        """The refunds made of the reference ``reference``."""
        return self.references[reference]["refunds"]

    def _handle(self, method: str, path: str, payload: Any) -> HttpResponse:
        if method == "POST" and path == "/references":
            ref_id = f"ref_{next(self._ids)}"
            self.references[ref_id] = {"amount": payload["amount"], "status": "open", "refunds": []}
            return self._answer(
                201,
                {
                    "id": ref_id,
                    "entity": "11223",
                    "reference": f"900 000 {len(self.references):03d}",
                    "expires_at": "2030-01-01T12:00:00+00:00",
                },
            )
        match = re.fullmatch(r"/references/(ref_\d+)/(refunds|cancel)", path)
        if method == "POST" and match and match.group(1) in self.references:
            reference = self.references[match.group(1)]
            if match.group(2) == "cancel":
                reference["status"] = "cancelled"
                return self._answer(200, {"id": match.group(1), "status": "cancelled"})
            refund = {"id": f"rf_{next(self._ids)}", "amount": payload["amount"]}
            reference["refunds"].append(refund)
            return self._answer(201, {"id": refund["id"]})
        return self._answer(404, {"message": "not found"})

    @staticmethod
    def _answer(status: int, body: dict[str, Any]) -> HttpResponse:
        return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


@pytest.fixture(autouse=True)
def fake_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMulticaixaAPI]:
    api = FakeMulticaixaAPI()
    monkeypatch.setattr(plugin.gateway, "transport", api)
    yield api


def webhook(
    payment: Any,
    event_id: str,
    provider_type: str,
    timestamp: int | None = None,
    *,
    amount: Money | None = None,
    **extra: str,
) -> tuple[bytes, dict[str, str]]:
    """Build a signed webhook request about ``payment``, as the provider sends it.

    :param amount: What the event is about (default: the payment's amount).
    :param extra: More ``data`` fields, e.g. ``refund_id`` and ``idempotency_key``.
    """
    amount = payment.amount if amount is None else amount
    body = json.dumps(
        {
            "id": event_id,
            "type": provider_type,
            "data": {
                "reference_id": payment.reference,
                "amount": str(amount.amount),
                "currency": str(amount.currency),
                **extra,
            },
        }
    ).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return body, {SIGNATURE_HEADER: sign(body, SECRET, stamp)}


class TestMulticaixaContract(GatewayContract):
    plugin = plugin
    gateway_id = "multicaixa_ref"
    currency = "AOA"

    def gateway_options(self) -> dict[str, Any]:
        return {"api_url": API_URL, "api_key": "mcx_test_key", "webhook_secret": SECRET}

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
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
        named = {"idempotency_key": idempotency_key, "refund_id": movement_reference}
        return webhook(
            payment,
            event_id,
            PROVIDER_TYPES[event_type],
            amount=amount,
            **{name: value for name, value in named.items() if value},
        )

    def refunds_at_provider(self, *, payment: Any) -> int | None:
        return len(plugin.gateway.transport.refunds(payment.reference))

    # --- What this gateway adds to the contract ---------------------------------------------

    def test_every_request_sends_the_kits_key(
        self, order: Any, fake_provider: FakeMulticaixaAPI
    ) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order

        payment = self._captured_payment(order)
        refund_order(order=order, amount=self._part(payment), actor=None)
        refund = LedgerEntry.objects.get(payment=payment, kind="refund")
        keys = [headers["Idempotency-Key"] for _m, _u, headers, _b in fake_provider.requests]
        assert keys == [payment.idempotency_key, refund.idempotency_key]
        assert refund.reference == fake_provider.refunds(payment.reference)[0]["id"]

    def test_refund_event_names_the_refund(self, options: dict[str, Any], order: Any) -> None:
        payment = self._start(order, "success")
        body, headers = webhook(
            payment, "evt_rf", "reference.refunded", refund_id="rf_9", idempotency_key="ek_1"
        )
        event = plugin.gateway.parse_webhook(body=body, headers=headers, options=options)
        assert (event.movement_reference, event.idempotency_key) == ("rf_9", "ek_1")
        body, headers = webhook(payment, "evt_paid", "reference.paid")
        event = plugin.gateway.parse_webhook(body=body, headers=headers, options=options)
        assert (event.movement_reference, event.idempotency_key) == ("", "")

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
                "type": "reference.refunded",
                "data": {
                    "reference_id": payment.reference,
                    "amount": "10.00",
                    "currency": "AOA",
                    **data,
                },
            }
        ).encode()
        headers = {SIGNATURE_HEADER: sign(body, SECRET, int(time.time()))}
        with pytest.raises(InvalidInputError):
            plugin.gateway.parse_webhook(body=body, headers=headers, options=options)
