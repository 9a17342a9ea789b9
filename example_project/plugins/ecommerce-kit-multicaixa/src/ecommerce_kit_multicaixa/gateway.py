"""``multicaixa_ref``: the buyer pays a Multicaixa reference (entity + reference) at an ATM or in
a banking app; the provider then notifies the shop with a signed webhook.

Configuration (``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]["multicaixa_ref"]``):

- ``api_url``: the provider's API root, e.g. ``"https://api.provider.example/v1"``;
- ``api_key``: sent as ``Authorization: Bearer <api_key>``;
- ``webhook_secret``: the secret the provider signs webhooks with;
- ``expires_in_hours`` (optional, default 48): how long a reference can be paid;
- ``webhook_tolerance`` (optional, default 300): seconds a webhook's timestamp may be off.

The provider API used here (every ``POST`` carries the kit's idempotency key as
``Idempotency-Key``; the provider answers a repeated key with its first answer and does nothing
again):

- ``POST /references`` ``{"amount", "currency", "merchant_reference", "expires_in"}`` →
  ``201 {"id", "entity", "reference", "expires_at"}``;
- ``POST /references/{id}/refunds`` ``{"amount", "currency"}`` → ``201 {"id"}``;
- ``POST /references/{id}/cancel`` → ``200``.

Webhooks carry ``X-Multicaixa-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
and a JSON body ``{"id", "type", "data": {"reference_id", "amount", "currency"}}`` where ``type``
is ``reference.paid``, ``reference.expired``, ``reference.refunded`` or ``reference.cancelled``.
A ``reference.refunded`` event about a refund the shop asked for also names it in ``data``:
``refund_id`` (the provider's id of the refund) and ``idempotency_key`` (the key it was asked
with).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from moneyed import CurrencyDoesNotExist, Money

from ecommerce_kit.exceptions import GatewayError, InvalidInputError, InvalidSignatureError
from ecommerce_kit.payments.base import (
    CaptureResult,
    Flow,
    NextAction,
    Outcome,
    PaymentResult,
    RefundResult,
    VoidResult,
    WebhookEvent,
    WebhookEventType,
)
from ecommerce_kit.payments.http import GatewayHttpClient, Transport

SIGNATURE_HEADER = "X-Multicaixa-Signature"
EVENT_TYPES = {
    "reference.paid": WebhookEventType.PAYMENT_CAPTURED,
    "reference.expired": WebhookEventType.PAYMENT_FAILED,
    "reference.refunded": WebhookEventType.PAYMENT_REFUNDED,
    "reference.cancelled": WebhookEventType.PAYMENT_VOIDED,
}
#: The longest id or key read from an event.
MAX_ID_LENGTH = 255


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """Return the ``X-Multicaixa-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _text(value: Any, name: str, *, required: bool) -> str:
    """Read an id from an event: a string of at most 255 characters (empty only if optional)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_ID_LENGTH:
        raise InvalidInputError(
            fields={name: [f"Expected a non-empty string of at most {MAX_ID_LENGTH} characters."]}
        )
    return value


def _amount(details: Mapping[str, Any]) -> Money | None:
    if details.get("amount") is None:
        return None
    try:
        return Money(Decimal(str(details["amount"])), str(details["currency"]))
    except (KeyError, InvalidOperation, CurrencyDoesNotExist):
        raise InvalidInputError(fields={"amount": ["Invalid amount or currency."]}) from None


class MulticaixaReferenceGateway:
    """Payment by Multicaixa reference."""

    id = "multicaixa_ref"
    name = "Multicaixa (referência)"
    flow: str = Flow.REFERENCE
    currencies: tuple[str, ...] = ("AOA",)

    #: How requests are sent; ``None`` is the kit's default (tests put a fake provider here).
    transport: Transport | None = None
    #: The clock used to check webhook timestamps.
    clock: Callable[[], float] = staticmethod(time.time)

    def _client(self, options: Mapping[str, Any]) -> GatewayHttpClient:
        try:
            api_url, api_key = options["api_url"], options["api_key"]
        except KeyError as exc:
            raise GatewayError(f"multicaixa_ref is missing the {exc.args[0]!r} option.") from None
        return GatewayHttpClient(
            self.id,
            base_url=api_url,
            transport=self.transport,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def create_payment(
        self,
        *,
        payment: Any,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        hours = int(options.get("expires_in_hours", 48))
        response = self._client(options).post(
            "/references",
            idempotency_key=idempotency_key,
            json={
                "amount": f"{payment.amount.amount:.2f}",
                "currency": payment.currency,
                "merchant_reference": payment.order.number,
                "expires_in": hours * 3600,
            },
        )
        body = response.json()
        if not response.ok:
            message = body.get("message", "") if isinstance(body, dict) else ""
            return PaymentResult(
                outcome=Outcome.DECLINED,
                message=str(message) or f"Refused by the provider (HTTP {response.status_code}).",
            )
        try:
            action = NextAction(
                type="reference",
                entity=str(body["entity"]),
                reference=str(body["reference"]),
                expires_at=str(body["expires_at"]),
            )
            reference = str(body["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError("The provider's answer lacks the reference.") from exc
        return PaymentResult(outcome=Outcome.PENDING, reference=reference, next_action=action)

    def capture(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> CaptureResult:
        # Nothing is ever authorized: a reference is captured when the buyer pays it.
        return CaptureResult(ok=False, message="A reference is captured when the buyer pays it.")

    def refund(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        response = self._client(options).post(
            f"/references/{payment.reference}/refunds",
            idempotency_key=idempotency_key,
            json={"amount": f"{amount.amount:.2f}", "currency": str(amount.currency)},
        )
        if not response.ok:
            return RefundResult(ok=False, message=f"Refused (HTTP {response.status_code}).")
        body = response.json()
        return RefundResult(
            ok=True, reference=str(body.get("id", "")) if isinstance(body, dict) else ""
        )

    def void(self, *, payment: Any, idempotency_key: str, options: Mapping[str, Any]) -> VoidResult:
        response = self._client(options).post(
            f"/references/{payment.reference}/cancel", idempotency_key=idempotency_key
        )
        return VoidResult(
            ok=response.ok,
            reference=payment.reference,
            message="" if response.ok else f"HTTP {response.status_code}",
        )

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        self._verify(body, headers, options)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise InvalidInputError("Unreadable Multicaixa event.") from None
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            raise InvalidInputError("Unreadable Multicaixa event.")
        details = data["data"]
        provider_type = _text(data.get("type"), "type", required=True)
        return WebhookEvent(
            event_id=_text(data.get("id"), "id", required=True),
            type=EVENT_TYPES.get(provider_type, provider_type),
            reference=_text(details.get("reference_id"), "reference_id", required=True),
            amount=_amount(details),
            idempotency_key=_text(
                details.get("idempotency_key"), "idempotency_key", required=False
            ),
            movement_reference=_text(details.get("refund_id"), "refund_id", required=False),
            payload=data,
        )

    def _verify(self, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]) -> None:
        secret = options.get("webhook_secret")
        header = _header(headers, SIGNATURE_HEADER)
        if not secret or not header:
            raise InvalidSignatureError()
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        timestamp = parts.get("t", "")
        if not timestamp.isdigit():
            raise InvalidSignatureError()
        tolerance = float(options.get("webhook_tolerance", 300))
        if abs(self.clock() - int(timestamp)) > tolerance:
            raise InvalidSignatureError("The webhook is too old (or from the future).")
        expected = sign(body, str(secret), int(timestamp)).split("v1=", 1)[1]
        if not hmac.compare_digest(parts.get("v1", "").strip().encode(), expected.encode()):
            raise InvalidSignatureError()
