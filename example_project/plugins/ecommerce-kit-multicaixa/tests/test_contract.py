"""The kit's gateway contract, run against ``multicaixa_ref`` with a fake provider API."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from ecommerce_kit_multicaixa import plugin
from ecommerce_kit_multicaixa.gateway import SIGNATURE_HEADER, sign

from ecommerce_kit.payments.http import HttpResponse
from ecommerce_kit.testing.contract import GatewayContract

SECRET = "mcx_whsec"
API_URL = "https://mcx.test/v1"


class FakeMulticaixaAPI:
    """Answers like the provider would; records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.references: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        payload = json.loads(body) if body else None
        self.requests.append((method, url, dict(headers), payload))
        if headers.get("Authorization") != "Bearer mcx_test_key":
            return self._answer(401, {"message": "bad key"})
        path = url.removeprefix(API_URL)
        if method == "POST" and path == "/references":
            ref_id = f"ref_{next(self._ids)}"
            self.references[ref_id] = {"amount": payload["amount"], "status": "open"}
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
            if match.group(2) == "cancel":
                self.references[match.group(1)]["status"] = "cancelled"
                return self._answer(200, {"id": match.group(1), "status": "cancelled"})
            return self._answer(201, {"id": f"rf_{next(self._ids)}"})
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
    payment: Any, event_id: str, provider_type: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    import time

    body = json.dumps(
        {
            "id": event_id,
            "type": provider_type,
            "data": {
                "reference_id": payment.reference,
                "amount": str(payment.amount.amount),
                "currency": payment.currency,
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
        self, *, payment: Any, event_id: str, event_type: str
    ) -> tuple[bytes, dict[str, str]]:
        provider_type = {
            "payment.captured": "reference.paid",
            "payment.failed": "reference.expired",
            "payment.refunded": "reference.refunded",
        }[event_type]
        return webhook(payment, event_id, provider_type)
