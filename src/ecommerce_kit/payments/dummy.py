"""The built-in ``dummy`` gateway, for tests and demos.

It is registered as a built-in plugin but used only when ``"dummy"`` is configured in
``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]``, e.g. ``{"dummy": {"webhook_secret": "..."}}``.
``payment_data["token"]`` decides the outcome, like a card processor's test cards:

============== ==========================================================================
token          outcome
============== ==========================================================================
tok_success    captured at once (the default when no token is given)
tok_authorize  authorized (captured or voided later)
tok_decline    declined
tok_pending    stays pending; completed later by a webhook
tok_error      the gateway fails, as a network error would (:class:`GatewayError`)
============== ==========================================================================

Any other token is declined. ``payment_data["timeout_once"]`` (a list of ``"capture"``,
``"refund"``, ``"void"``) makes the first call of each of those for the payment fail as a timeout
would (:class:`GatewayError`); calling again with the same idempotency key succeeds, as a real
provider that had received the first call would answer. It remembers which keys timed out in the
Django cache (use a shared cache when several processes serve the site).

Every answer is derived from the idempotency key it was given, so a repeated key returns the
first result: the reference of a capture is ``dummy_capture_<key>``, of a refund
``dummy_refund_<key>``, of a void ``dummy_void_<key>``.

Webhooks are JSON ``{"event_id", "payment_id", "type", "amount"}``, signed with HMAC-SHA256 over
the raw body with ``webhook_secret`` and sent as ``X-Dummy-Signature: sha256=<hex digest>``. An
event about a capture, refund or void the kit asked for names it with ``"idempotency_key"`` (the
kit's key) or ``"reference"`` (the dummy's reference above); a refund event naming neither is a
refund made at the provider.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from moneyed import CurrencyDoesNotExist, Money, get_currency

from ecommerce_kit import hookimpl
from ecommerce_kit.exceptions import GatewayError, InvalidInputError, InvalidSignatureError
from ecommerce_kit.payments.base import (
    CaptureResult,
    Flow,
    Outcome,
    PaymentResult,
    RefundResult,
    VoidResult,
    WebhookEvent,
)

if TYPE_CHECKING:
    from ecommerce_kit.payments.models import Payment

SIGNATURE_HEADER = "X-Dummy-Signature"

TOKEN_OUTCOMES: dict[str, str] = {
    "tok_success": Outcome.CAPTURED,
    "tok_authorize": Outcome.AUTHORIZED,
    "tok_decline": Outcome.DECLINED,
    "tok_pending": Outcome.PENDING,
}
ERROR_TOKEN = "tok_error"
DEFAULT_TOKEN = "tok_success"
#: The calls ``payment_data["timeout_once"]`` may name.
TIMEOUT_CALLS = ("capture", "refund", "void")
_TIMED_OUT = "ecommerce_kit:dummy:timed-out:"


def _time_out_once(payment: Payment, call: str, idempotency_key: str) -> None:
    """Raise a timeout the first time ``call`` is made with ``idempotency_key``, if asked."""
    wanted = (
        payment.payment_data.get("timeout_once") if isinstance(payment.payment_data, dict) else None
    )
    if not isinstance(wanted, list) or call not in wanted:
        return
    if cache.add(f"{_TIMED_OUT}{idempotency_key}", True, timeout=7 * 24 * 3600):
        raise GatewayError(f"The dummy gateway timed out ({call}, timeout_once).")


def sign(body: bytes, secret: str) -> str:
    """Return the ``X-Dummy-Signature`` value for ``body``: ``sha256=<hex digest>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _parse_money(value: Any) -> Money:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("amount"), str | int)
        or isinstance(value.get("amount"), bool)
        or not isinstance(value.get("currency"), str)
    ):
        raise InvalidInputError(
            fields={"amount": ['Expected {"amount": "<decimal>", "currency": "<ISO 4217>"}.']}
        )
    try:
        amount = Decimal(str(value["amount"]))
        get_currency(value["currency"])
    except (InvalidOperation, CurrencyDoesNotExist):
        raise InvalidInputError(fields={"amount": ["Invalid amount or currency."]}) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInputError(fields={"amount": ["Invalid amount."]})
    return Money(amount, value["currency"])


class DummyGateway:
    """A gateway that answers from test tokens and never leaves the process."""

    id = "dummy"
    name = "Dummy gateway"
    flow: str = Flow.IMMEDIATE
    currencies: tuple[str, ...] = ()

    def create_payment(
        self,
        *,
        payment: Payment,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        token = (
            payment_data.get("token", DEFAULT_TOKEN) if isinstance(payment_data, Mapping) else None
        )
        if token == ERROR_TOKEN:
            raise GatewayError("The dummy gateway failed (tok_error).")
        reference = f"dummy_{payment.pk}"
        outcome = TOKEN_OUTCOMES.get(token) if isinstance(token, str) else None
        if outcome is None:
            return PaymentResult(
                outcome=Outcome.DECLINED, reference=reference, message="Unknown test token."
            )
        message = "Declined (tok_decline)." if outcome == Outcome.DECLINED else ""
        return PaymentResult(outcome=outcome, reference=reference, message=message)

    def capture(
        self, *, payment: Payment, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> CaptureResult:
        _time_out_once(payment, "capture", idempotency_key)
        return CaptureResult(ok=True, reference=f"dummy_capture_{idempotency_key}")

    def refund(
        self, *, payment: Payment, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        _time_out_once(payment, "refund", idempotency_key)
        return RefundResult(ok=True, reference=f"dummy_refund_{idempotency_key}")

    def void(
        self, *, payment: Payment, idempotency_key: str, options: Mapping[str, Any]
    ) -> VoidResult:
        _time_out_once(payment, "void", idempotency_key)
        return VoidResult(ok=True, reference=f"dummy_void_{idempotency_key}")

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        secret = options.get("webhook_secret")
        signature = _header(headers, SIGNATURE_HEADER)
        if not secret or not isinstance(secret, str) or not signature:
            raise InvalidSignatureError()
        if not hmac.compare_digest(signature.strip().encode(), sign(body, secret).encode()):
            raise InvalidSignatureError()
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise InvalidInputError("The webhook body is not JSON.") from None
        if not isinstance(data, dict):
            raise InvalidInputError("The webhook body must be a JSON object.")
        errors: dict[str, list[str]] = {}
        event_id, event_type, payment_ref = (
            data.get("event_id"),
            data.get("type"),
            data.get("payment_id"),
        )
        if (
            not isinstance(event_id, str | int)
            or isinstance(event_id, bool)
            or not str(event_id)
            or len(str(event_id)) > 255
        ):
            errors["event_id"] = ["A non-empty string of at most 255 characters is required."]
        if not isinstance(event_type, str) or not event_type:
            errors["type"] = ["This field is required."]
        payment_id: int | None = None
        reference = ""
        if isinstance(payment_ref, int) and not isinstance(payment_ref, bool):
            payment_id = payment_ref
        elif isinstance(payment_ref, str) and payment_ref.isdigit():
            payment_id = int(payment_ref)
        elif isinstance(payment_ref, str) and payment_ref:
            reference = payment_ref
        else:
            errors["payment_id"] = ["This field is required."]
        if errors:
            raise InvalidInputError(fields=errors)
        amount = _parse_money(data["amount"]) if data.get("amount") is not None else None
        names = {}
        for name in ("idempotency_key", "reference"):
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise InvalidInputError(fields={name: ["A string of at most 255 characters."]})
            names[name] = value or ""
        return WebhookEvent(
            event_id=str(event_id),
            type=str(event_type),
            payment_id=payment_id,
            reference=reference,
            amount=amount,
            idempotency_key=names["idempotency_key"],
            movement_reference=names["reference"],
            payload=data,
        )


gateway = DummyGateway()


@hookimpl
def register_payment_gateways() -> list[DummyGateway]:
    return [gateway]
