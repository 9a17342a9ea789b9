"""Test doubles for the payments tests: a scriptable gateway and a hook recorder."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection

from ecommerce_kit import hookimpl
from ecommerce_kit.payments.base import (
    CaptureResult,
    PaymentResult,
    RefundResult,
    VoidResult,
    WebhookEvent,
)
from ecommerce_kit.payments.dummy import DummyGateway, sign
from tests.payments.conftest import WEBHOOK_SECRET


class ScriptedGateway(DummyGateway):
    """The dummy gateway, with hooks to observe calls and to change answers."""

    id = "scripted"
    name = "Scripted"

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.keys: list[str] = []
        self.capture_result: CaptureResult | Exception | None = None
        self.refund_result: RefundResult | Exception = RefundResult(ok=True, reference="r")
        self.void_result: VoidResult | Exception = VoidResult(ok=True)
        self.on_refund: Callable[[], None] | None = None

    def _record(self, name: str) -> None:
        # Whether a transaction (and so possibly row locks) is open during the call.
        self.calls.append((name, connection.in_atomic_block))

    def create_payment(
        self,
        *,
        payment: Any,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        self._record("create_payment")
        self.keys.append(idempotency_key)
        return super().create_payment(
            payment=payment,
            payment_data=payment_data,
            idempotency_key=idempotency_key,
            options=options,
        )

    def capture(
        self, *, payment: Any, amount: Any, idempotency_key: str, options: Mapping[str, Any]
    ) -> CaptureResult:
        self._record("capture")
        self.keys.append(idempotency_key)
        if isinstance(self.capture_result, Exception):
            raise self.capture_result
        if self.capture_result is not None:
            return self.capture_result
        return super().capture(
            payment=payment, amount=amount, idempotency_key=idempotency_key, options=options
        )

    def refund(
        self, *, payment: Any, amount: Any, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        self._record("refund")
        self.keys.append(idempotency_key)
        if self.on_refund is not None:
            self.on_refund()
        if isinstance(self.refund_result, Exception):
            raise self.refund_result
        return self.refund_result

    def void(self, *, payment: Any, idempotency_key: str, options: Mapping[str, Any]) -> VoidResult:
        self._record("void")
        self.keys.append(idempotency_key)
        if isinstance(self.void_result, Exception):
            raise self.void_result
        return self.void_result

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        return super().parse_webhook(body=body, headers=headers, options=options)


class GatewayPlugin:
    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway

    @hookimpl
    def register_payment_gateways(self) -> list[Any]:
        return [self.gateway]


class HookRecorder:
    """Records payment_status_changed calls (and whether a transaction was open)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str, str, bool]] = []
        self.lock = threading.Lock()

    @hookimpl
    def payment_status_changed(self, payment: Any, source: str, target: str, actor: Any) -> None:
        with self.lock:
            self.calls.append((payment.pk, source, target, connection.in_atomic_block))


def signed_webhook(
    payload: dict[str, Any], secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    """Return a JSON body and the ``X-Dummy-Signature`` header for it."""
    body = json.dumps(payload).encode()
    return body, {"HTTP_X_DUMMY_SIGNATURE": sign(body, secret)}
