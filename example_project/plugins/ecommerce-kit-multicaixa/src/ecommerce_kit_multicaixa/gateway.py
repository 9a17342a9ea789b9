"""Multicaixa's two ways to pay, as two gateways of one provider API.

- ``multicaixa_ref``: the buyer pays a **Multicaixa reference** (entity + reference number) at
  an ATM or in a banking app before it expires.
- ``multicaixa_express``: the buyer gives the **phone number** of their Multicaixa Express app;
  the provider pushes the payment to the app, where the buyer accepts it. The request also has an
  entity and a reference (shown to the buyer with the push's expiry), so a missed push can still
  be paid as a reference until then.

Both are pending until the provider's webhook says the buyer paid (``reference`` flow).

Configuration (``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]["multicaixa_ref"]`` or
``["multicaixa_express"]``):

- ``api_url``: the provider's API root, e.g. ``"https://api.provider.example/v1"``;
- ``api_key``: sent as ``Authorization: Bearer <api_key>``;
- ``webhook_secret``: the secret the provider signs webhooks with;
- ``expires_in_hours`` (``multicaixa_ref``, default 48): how long a reference can be paid;
- ``expires_in_minutes`` (``multicaixa_express``, default 5): how long the buyer has to accept
  the push;
- ``webhook_tolerance`` (optional, default 300): seconds a webhook's timestamp may be off.

The provider API used here (every ``POST`` carries the kit's idempotency key as
``Idempotency-Key``; the provider answers a repeated key with its first answer and does nothing
again):

- ``POST /references`` ``{"amount", "currency", "merchant_reference", "expires_in"}`` →
  ``201 {"id", "entity", "reference", "expires_at"}``;
- ``POST /express/requests`` ``{"amount", "currency", "merchant_reference", "phone",
  "expires_in"}`` → ``201 {"id", "entity", "reference", "expires_at"}``, or ``422 {"message"}``
  when the phone has no Multicaixa Express app;
- ``POST /references/{id}/refunds`` and ``POST /express/requests/{id}/refunds``
  ``{"amount", "currency"}`` → ``201 {"id"}``;
- ``POST /references/{id}/cancel`` and ``POST /express/requests/{id}/cancel`` → ``200``, or
  ``409`` when the buyer has paid already.

Webhooks carry ``X-Multicaixa-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
and a JSON body ``{"id", "type", "data": {"reference_id", "amount", "currency"}}``; an event about
a refund the shop asked for also names it in ``data``: ``refund_id`` (the provider's id of the
refund) and ``idempotency_key`` (the key it was asked with).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

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
from ecommerce_kit.payments.http import GatewayHttpClient, HttpResponse, Transport

SIGNATURE_HEADER = "X-Multicaixa-Signature"
#: The longest id or key read from an event.
MAX_ID_LENGTH = 255
#: An Angolan mobile number: 9 digits starting with 9, after an optional +244 or 00244.
ANGOLAN_MOBILE = re.compile(r"^(?:\+244|00244)?(9\d{8})$")


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """Return the ``X-Multicaixa-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def normalize_phone(value: Any) -> str | None:
    """Return ``value`` as ``+2449XXXXXXXX`` when it is an Angolan mobile number, else ``None``.

    Spaces, dots, hyphens and brackets are ignored: ``"+244 923 456 789"``, ``"923-456-789"``
    and ``"00244923456789"`` are all ``"+244923456789"``.
    """
    if not isinstance(value, str):
        return None
    match = ANGOLAN_MOBILE.match(re.sub(r"[\s.()-]", "", value))
    return f"+244{match.group(1)}" if match else None


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


def _message(response: HttpResponse) -> str:
    try:
        body = response.json()
    except GatewayError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or f"HTTP {response.status_code}")


class MulticaixaGateway:
    """What both Multicaixa gateways share: the client, refunds, cancellations and webhooks."""

    id: str
    name: str
    flow: str = Flow.REFERENCE
    currencies: tuple[str, ...] = ("AOA",)
    #: The API path of this gateway's payments.
    path: ClassVar[str]
    #: The provider's event types, as the kit's.
    event_types: ClassVar[Mapping[str, str]]
    #: JSON keys kept out of the kit's call log, besides its own list.
    redact_keys: ClassVar[tuple[str, ...]] = ()

    #: How requests are sent; ``None`` is the kit's default (tests put a fake provider here).
    transport: Transport | None = None
    #: The clock used to check webhook timestamps.
    clock: Callable[[], float] = staticmethod(time.time)

    def _client(self, options: Mapping[str, Any]) -> GatewayHttpClient:
        try:
            api_url, api_key = options["api_url"], options["api_key"]
        except KeyError as exc:
            raise GatewayError(f"{self.id} is missing the {exc.args[0]!r} option.") from None
        return GatewayHttpClient(
            self.id,
            base_url=api_url,
            transport=self.transport,
            headers={"Authorization": f"Bearer {api_key}"},
            redact_keys=self.redact_keys,
        )

    def _request(
        self,
        payment: Any,
        idempotency_key: str,
        options: Mapping[str, Any],
        expires_in: int,
        **extra: str,
    ) -> PaymentResult:
        """Ask for a payment the buyer completes later; answer ``pending`` with what they see."""
        response = self._client(options).post(
            self.path,
            idempotency_key=idempotency_key,
            json={
                "amount": f"{payment.amount.amount:.2f}",
                "currency": payment.currency,
                "merchant_reference": payment.order.number,
                "expires_in": expires_in,
                **extra,
            },
        )
        if not response.ok:
            return PaymentResult(outcome=Outcome.DECLINED, message=_message(response))
        body = response.json()
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
        # Nothing is ever authorized: the money is taken when the buyer pays.
        return CaptureResult(ok=False, message="Multicaixa takes the money when the buyer pays.")

    def refund(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        response = self._client(options).post(
            f"{self.path}/{payment.reference}/refunds",
            idempotency_key=idempotency_key,
            json={"amount": f"{amount.amount:.2f}", "currency": str(amount.currency)},
        )
        if not response.ok:
            return RefundResult(ok=False, message=f"Refused: {_message(response)}.")
        body = response.json()
        return RefundResult(
            ok=True, reference=str(body.get("id", "")) if isinstance(body, dict) else ""
        )

    def void(self, *, payment: Any, idempotency_key: str, options: Mapping[str, Any]) -> VoidResult:
        response = self._client(options).post(
            f"{self.path}/{payment.reference}/cancel", idempotency_key=idempotency_key
        )
        if not response.ok:
            # 409: the buyer paid first. The kit books the payment's webhook when it comes and
            # gives the money back if the order no longer needs it.
            return VoidResult(ok=False, message=f"Refused: {_message(response)}.")
        return VoidResult(ok=True, reference=payment.reference)

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
            type=self.event_types.get(provider_type, provider_type),
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


class MulticaixaReferenceGateway(MulticaixaGateway):
    """Payment by Multicaixa reference, at an ATM or in a banking app."""

    id = "multicaixa_ref"
    name = "Multicaixa (referência)"
    path = "/references"
    event_types = {
        "reference.paid": WebhookEventType.PAYMENT_CAPTURED,
        "reference.expired": WebhookEventType.PAYMENT_FAILED,
        "reference.refunded": WebhookEventType.PAYMENT_REFUNDED,
        "reference.cancelled": WebhookEventType.PAYMENT_VOIDED,
    }

    def create_payment(
        self,
        *,
        payment: Any,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        hours = int(options.get("expires_in_hours", 48))
        return self._request(payment, idempotency_key, options, expires_in=hours * 3600)


class MulticaixaExpressGateway(MulticaixaGateway):
    """Multicaixa Express: the payment is pushed to the buyer's phone, where they accept it.

    ``payment_data`` is ``{"phone": "+244 9XX XXX XXX"}``: an Angolan mobile number (with or
    without ``+244``). Another value is declined without calling the provider.
    """

    id = "multicaixa_express"
    name = "Multicaixa Express"
    path = "/express/requests"
    event_types = {
        "express.accepted": WebhookEventType.PAYMENT_CAPTURED,
        "express.rejected": WebhookEventType.PAYMENT_FAILED,
        "express.expired": WebhookEventType.PAYMENT_FAILED,
        "express.refunded": WebhookEventType.PAYMENT_REFUNDED,
        "express.cancelled": WebhookEventType.PAYMENT_VOIDED,
    }
    # The buyer's phone number stays out of the call log.
    redact_keys = ("phone",)

    def create_payment(
        self,
        *,
        payment: Any,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        phone = normalize_phone(payment_data.get("phone"))
        if phone is None:
            return PaymentResult(
                outcome=Outcome.DECLINED,
                message="Enter the phone number of your Multicaixa Express app: +244 9XX XXX XXX.",
            )
        minutes = int(options.get("expires_in_minutes", 5))
        return self._request(
            payment, idempotency_key, options, expires_in=minutes * 60, phone=phone
        )
