from __future__ import annotations

import json
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.exceptions import GatewayError, InvalidInputError, InvalidSignatureError
from ecommerce_kit.payments.base import NextAction, PaymentResult
from ecommerce_kit.payments.dummy import DummyGateway, sign
from ecommerce_kit.payments.models import Payment

OPTIONS = {"webhook_secret": "s3cret"}


def _payment() -> Payment:
    return Payment(pk=7, gateway="dummy", currency="AOA", amount=Money(10, "AOA"))


@pytest.mark.parametrize(
    ("token", "outcome"),
    [
        ("tok_success", "captured"),
        ("tok_authorize", "authorized"),
        ("tok_decline", "declined"),
        ("tok_pending", "pending"),
        ("tok_unknown", "declined"),
        (None, "captured"),
    ],
)
def test_create_payment_follows_the_token(token: str | None, outcome: str) -> None:
    data = {} if token is None else {"token": token}
    result = DummyGateway().create_payment(payment=_payment(), payment_data=data, options=OPTIONS)
    assert result.outcome == outcome
    assert result.reference == "dummy_7"


def test_tok_error_raises_gateway_error() -> None:
    with pytest.raises(GatewayError):
        DummyGateway().create_payment(
            payment=_payment(), payment_data={"token": "tok_error"}, options=OPTIONS
        )


def _webhook(body: dict[str, Any], secret: str = "s3cret") -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"X-Dummy-Signature": sign(raw, secret)}


def test_parse_webhook_reads_a_signed_event() -> None:
    raw, headers = _webhook(
        {
            "event_id": "evt_1",
            "payment_id": 7,
            "type": "payment.captured",
            "amount": {"amount": "10.00", "currency": "AOA"},
        }
    )
    event = DummyGateway().parse_webhook(body=raw, headers=headers, options=OPTIONS)
    assert (event.event_id, event.payment_id, event.type, event.amount) == (
        "evt_1",
        7,
        "payment.captured",
        Money("10.00", "AOA"),
    )


def test_parse_webhook_accepts_lowercase_header_and_reference() -> None:
    raw, headers = _webhook({"event_id": "e", "payment_id": "dummy_7", "type": "payment.failed"})
    event = DummyGateway().parse_webhook(
        body=raw, headers={"x-dummy-signature": headers["X-Dummy-Signature"]}, options=OPTIONS
    )
    assert (event.payment_id, event.reference, event.amount) == (None, "dummy_7", None)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Dummy-Signature": "sha256=00"},
        {"X-Dummy-Signature": "garbage"},
    ],
)
def test_parse_webhook_rejects_missing_or_wrong_signatures(headers: dict[str, str]) -> None:
    raw, _ = _webhook({"event_id": "e", "payment_id": 7, "type": "payment.captured"})
    with pytest.raises(InvalidSignatureError):
        DummyGateway().parse_webhook(body=raw, headers=headers, options=OPTIONS)


def test_parse_webhook_rejects_tampered_body_and_other_secret() -> None:
    raw, headers = _webhook({"event_id": "e", "payment_id": 7, "type": "payment.captured"})
    with pytest.raises(InvalidSignatureError):
        DummyGateway().parse_webhook(body=raw.replace(b"7", b"8"), headers=headers, options=OPTIONS)
    with pytest.raises(InvalidSignatureError):
        DummyGateway().parse_webhook(body=raw, headers=headers, options={"webhook_secret": "x"})
    with pytest.raises(InvalidSignatureError):
        DummyGateway().parse_webhook(body=raw, headers=headers, options={})


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        json.dumps({"payment_id": 7, "type": "payment.captured"}).encode(),
        json.dumps({"event_id": "e", "type": "payment.captured"}).encode(),
        json.dumps(
            {"event_id": "e", "payment_id": 7, "type": "payment.captured", "amount": 10.5}
        ).encode(),
        json.dumps(
            {
                "event_id": "e",
                "payment_id": 7,
                "type": "payment.captured",
                "amount": {"amount": "x", "currency": "AOA"},
            }
        ).encode(),
    ],
)
def test_parse_webhook_rejects_authentic_but_malformed_bodies(body: bytes) -> None:
    with pytest.raises(InvalidInputError):
        DummyGateway().parse_webhook(
            body=body, headers={"X-Dummy-Signature": sign(body, "s3cret")}, options=OPTIONS
        )


def test_results_are_frozen_and_validated() -> None:
    result = PaymentResult(outcome="pending")
    with pytest.raises(AttributeError):
        result.outcome = "captured"  # type: ignore[misc]
    with pytest.raises(ValueError):
        PaymentResult(outcome="maybe")
    with pytest.raises(ValueError):
        NextAction(type="redirect")
    assert (
        NextAction(
            type="reference", entity="1", reference="2", expires_at="2030-01-01T00:00:00+00:00"
        ).as_dict()["entity"]
        == "1"
    )
