"""A fake Multicaixa provider for tests: its API, its buyers, its webhooks and its bad days.

Use it wherever a test would otherwise reach the provider (this distribution's tests, or a
shop's own checkout tests)::

    fake = FakeMulticaixa()
    monkeypatch.setattr(plugin.gateway, "transport", fake)   # multicaixa_ref
    monkeypatch.setattr(plugin.express, "transport", fake)   # multicaixa_express
    payment = start_payment(order=order, gateway_id="multicaixa_express",
                            payment_data={"phone": "+244 923 456 789"}, actor=None)
    fake.pay(payment.reference)                 # the buyer accepts the push
    for body, headers in fake.send_webhooks():  # whenever the test decides: late, twice, ...
        handle_webhook(gateway_id="multicaixa_express", body=body, headers=headers)

Like the provider, it answers a repeated ``Idempotency-Key`` with its first answer (and does
nothing again), refuses a key reused for another request, refuses to cancel a payment the buyer
has paid (``409``), and reports every change of a payment by a signed webhook. Unlike the provider,
it sends its webhooks only when asked (:meth:`FakeMulticaixa.send_webhooks`), so a test can
deliver them late, repeated or out of order. It can also be told to answer the next requests
with ``5xx`` (:meth:`~FakeMulticaixa.fail_next`) or to time out, before or after acting on them
(:meth:`~FakeMulticaixa.time_out_next`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ecommerce_kit.payments.http import HttpResponse
from ecommerce_kit.testing.provider import FakeProvider
from ecommerce_kit_multicaixa.gateway import SIGNATURE_HEADER, sign

API_URL = "https://mcx.test/v1"
API_KEY = "mcx_test_key"
WEBHOOK_SECRET = "mcx_whsec"
ENTITY = "11223"
#: A phone number without a Multicaixa Express app: the provider refuses to push to it.
UNREGISTERED_PHONE = "+244999999999"
#: Each kind of payment's API path and event types.
KINDS = {
    "reference": (
        "/references",
        {"paid": "reference.paid", "expired": "reference.expired"},
    ),
    "express": (
        "/express/requests",
        {"paid": "express.accepted", "rejected": "express.rejected", "expired": "express.expired"},
    ),
}


@dataclass
class ProviderPayment:
    """A reference or an Express request, as the provider keeps it."""

    id: str
    kind: str
    amount: Decimal
    currency: str
    entity: str
    reference: str
    expires_at: str
    phone: str = ""
    status: str = "open"  # open, paid, rejected, expired, cancelled
    refunds: list[dict[str, str]] = field(default_factory=list)

    @property
    def refunded(self) -> Decimal:
        return sum((Decimal(r["amount"]) for r in self.refunds), Decimal(0))


def webhook_request(
    event: Mapping[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """Return ``event`` as the provider sends it: the JSON body and its signature header."""
    body = json.dumps(event).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return body, {SIGNATURE_HEADER: sign(body, secret, stamp)}


class FakeMulticaixa(FakeProvider):
    """The provider's API as a transport (``transport(method, url, headers, body, timeout)``).

    The kit's :class:`~ecommerce_kit.testing.provider.FakeProvider` does what a provider with
    idempotency keys does, records every request (:attr:`requests`) and plays the bad days
    (:meth:`fail_next`, :meth:`time_out_next`); this class is Multicaixa's API, buyers and
    webhooks.
    """

    api_url = API_URL

    def __init__(
        self, *, webhook_secret: str = WEBHOOK_SECRET, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.webhook_secret = webhook_secret
        self.clock = clock
        #: The payments the provider made, by id.
        self.payments: dict[str, ProviderPayment] = {}
        #: The events waiting to be sent.
        self.outbox: list[dict[str, Any]] = []

    def authorize(self, headers: Mapping[str, str]) -> HttpResponse | None:
        if headers.get("Authorization") != f"Bearer {API_KEY}":
            return self.answer(401, {"message": "Unknown API key."})
        return None

    def handle(self, method: str, path: str, payload: Any) -> HttpResponse:
        key = self.request.headers.get("Idempotency-Key", "") if self.request else ""
        return self._handle(method, path, payload, key)

    def _handle(self, method: str, path: str, payload: Any, key: str) -> HttpResponse:
        for kind, (prefix, _types) in KINDS.items():
            if method == "POST" and path == prefix:
                return self._create(kind, payload)
            match = re.fullmatch(re.escape(prefix) + r"/([\w-]+)/(refunds|cancel)", path)
            if method == "POST" and match and match.group(1) in self.payments:
                made = self.payments[match.group(1)]
                if match.group(2) == "cancel":
                    return self._cancel(made, key)
                return self._refund(made, payload, key)
        return self.answer(404, {"message": "Not found."})

    def _create(self, kind: str, payload: dict[str, Any]) -> HttpResponse:
        if kind == "express" and payload.get("phone") == UNREGISTERED_PHONE:
            return self.answer(422, {"message": "This phone has no Multicaixa Express app."})
        number = len(self.payments) + 1
        made = ProviderPayment(
            id=self.new_id(kind[:3]),
            kind=kind,
            amount=Decimal(payload["amount"]),
            currency=payload["currency"],
            entity=ENTITY,
            reference=f"900 {number // 1000:03d} {number % 1000:03d}",
            expires_at="2030-01-01T12:00:00+00:00",
            phone=payload.get("phone", ""),
        )
        self.payments[made.id] = made
        return self.answer(
            201,
            {
                "id": made.id,
                "entity": made.entity,
                "reference": made.reference,
                "expires_at": made.expires_at,
            },
        )

    def _cancel(self, made: ProviderPayment, key: str) -> HttpResponse:
        if made.status == "paid":
            return self.answer(409, {"message": "The buyer has paid already."})
        if made.status == "open":
            made.status = "cancelled"
            self._event(made, f"{_prefix(made)}.cancelled", idempotency_key=key)
        return self.answer(200, {"id": made.id, "status": made.status})

    def _refund(self, made: ProviderPayment, payload: dict[str, Any], key: str) -> HttpResponse:
        amount = Decimal(payload["amount"])
        if made.status != "paid":
            return self.answer(409, {"message": "Only a paid payment can be refunded."})
        if amount <= 0 or made.refunded + amount > made.amount:
            return self.answer(422, {"message": "More than is left to refund."})
        refund = {"id": self.new_id("rf"), "amount": f"{amount:.2f}"}
        made.refunds.append(refund)
        self._event(
            made,
            f"{_prefix(made)}.refunded",
            amount=refund["amount"],
            refund_id=refund["id"],
            idempotency_key=key,
        )
        return self.answer(201, {"id": refund["id"]})

    # --- The buyer --------------------------------------------------------------------------

    def pay(self, payment_id: str) -> None:
        """The buyer pays the reference, or accepts the Express push."""
        self._end(payment_id, "paid")

    def reject(self, payment_id: str) -> None:
        """The buyer rejects the Express push."""
        self._end(payment_id, "rejected")

    def expire(self, payment_id: str) -> None:
        """The reference, or the push, expires unpaid."""
        self._end(payment_id, "expired")

    def _end(self, payment_id: str, status: str) -> None:
        made = self.payments[payment_id]
        if made.status != "open":
            raise ValueError(f"{payment_id} is {made.status}, not open")
        made.status = status
        self._event(made, KINDS[made.kind][1][status])

    # --- Webhooks ---------------------------------------------------------------------------

    def _event(self, made: ProviderPayment, event_type: str, **data: str) -> None:
        details = {
            "reference_id": made.id,
            "amount": f"{made.amount:.2f}",
            "currency": made.currency,
            **data,
        }
        event_id = self.new_id("evt")
        self.outbox.append({"id": event_id, "type": event_type, "data": details})

    def send_webhooks(self) -> list[tuple[bytes, dict[str, str]]]:
        """Sign the waiting events now and return them, oldest first (the outbox empties)."""
        events, self.outbox = self.outbox, []
        return [
            webhook_request(event, secret=self.webhook_secret, timestamp=int(self.clock()))
            for event in events
        ]

    def refunds_of(self, payment_id: str) -> list[dict[str, str]]:
        """The refunds the provider made of ``payment_id``."""
        return self.payments[payment_id].refunds


def _prefix(made: ProviderPayment) -> str:
    return "reference" if made.kind == "reference" else "express"
