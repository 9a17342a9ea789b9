from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.exceptions import GatewayError, InvalidInputError, InvalidSignatureError
from ecommerce_kit.payments.base import NextAction, PaymentResult
from ecommerce_kit.payments.dummy import DummyGateway, sign
from ecommerce_kit.payments.models import LedgerEntry, Payment, WebhookEvent
from ecommerce_kit.payments.services import refund_order, retry_open_entries, start_payment
from tests.payments.factories import make_order

OPTIONS = {"webhook_secret": "s3cret"}
URL = "/api/v1/payments/webhooks/dummy/"


def _payment(**payment_data: Any) -> Payment:
    return Payment(
        pk=7, gateway="dummy", currency="AOA", amount=Money(10, "AOA"), payment_data=payment_data
    )


def _call(name: str, payment: Payment, key: str) -> Any:
    gateway = DummyGateway()
    if name == "void":
        return gateway.void(payment=payment, idempotency_key=key, options=OPTIONS)
    method = getattr(gateway, name)
    return method(payment=payment, amount=Money(4, "AOA"), idempotency_key=key, options=OPTIONS)


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
    result = DummyGateway().create_payment(
        payment=_payment(), payment_data=data, idempotency_key="ek_1", options=OPTIONS
    )
    assert result.outcome == outcome
    assert result.reference == "dummy_7"


def test_create_payment_with_a_repeated_key_returns_the_first_result() -> None:
    results = [
        DummyGateway().create_payment(
            payment=_payment(), payment_data={}, idempotency_key="ek_1", options=OPTIONS
        )
        for _ in range(2)
    ]
    assert results[0] == results[1]


def test_tok_error_raises_gateway_error() -> None:
    with pytest.raises(GatewayError):
        DummyGateway().create_payment(
            payment=_payment(),
            payment_data={"token": "tok_error"},
            idempotency_key="ek_1",
            options=OPTIONS,
        )


# --- Idempotency keys and timeouts ------------------------------------------------------------


@pytest.mark.parametrize("name", ["capture", "refund", "void"])
def test_repeated_key_returns_the_first_result(name: str) -> None:
    first, again = _call(name, _payment(), "ek_1"), _call(name, _payment(), "ek_1")
    other = _call(name, _payment(), "ek_2")
    assert first.ok and first == again
    assert first.reference == f"dummy_{name}_ek_1"
    assert other.ok and other.reference == f"dummy_{name}_ek_2"


@pytest.mark.parametrize("name", ["capture", "refund", "void"])
def test_timeout_once_fails_the_first_call_of_each_key(name: str) -> None:
    payment = _payment(timeout_once=[name])
    with pytest.raises(GatewayError):
        _call(name, payment, "ek_1")
    assert _call(name, payment, "ek_1") == _call(name, _payment(), "ek_1")
    assert _call(name, payment, "ek_1").ok
    with pytest.raises(GatewayError):
        _call(name, payment, "ek_2")
    assert _call(name, payment, "ek_2").reference == f"dummy_{name}_ek_2"


def test_timeout_once_leaves_the_calls_it_does_not_name_alone() -> None:
    payment = _payment(timeout_once=["refund"])
    assert _call("capture", payment, "ek_1").ok
    assert _call("void", payment, "ek_2").ok


@pytest.mark.parametrize("value", ["refund", {"refund": True}, None])
def test_timeout_once_that_is_not_a_list_is_ignored(value: Any) -> None:
    assert _call("refund", _payment(timeout_once=value), "ek_1").ok


@pytest.mark.django_db
def test_refund_that_timed_out_once_is_settled_by_the_retry(
    gateways_config: dict[str, Any],
) -> None:
    order = make_order()
    payment = start_payment(
        order=order,
        gateway_id="dummy",
        payment_data={"token": "tok_success", "timeout_once": ["refund"]},
        actor=None,
    )
    with pytest.raises(GatewayError):
        refund_order(order=order, amount=Money(100, "AOA"), actor=None)
    entry = LedgerEntry.objects.get(payment=payment, kind="refund")
    payment.refresh_from_db()
    assert entry.state == "unknown" and payment.refund_pending == Money(100, "AOA")
    assert retry_open_entries(older_than=timedelta(0)) == 1
    entry.refresh_from_db()
    payment.refresh_from_db()
    assert entry.state == "succeeded"
    assert entry.reference == f"dummy_refund_{entry.idempotency_key}"
    assert payment.refunded == Money(100, "AOA") and payment.refund_pending == Money(0, "AOA")


# --- Webhooks -----------------------------------------------------------------------------------


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
    assert (event.idempotency_key, event.movement_reference) == ("", "")


def test_parse_webhook_reads_the_key_and_reference_of_the_movement() -> None:
    raw, headers = _webhook(
        {
            "event_id": "evt_1",
            "payment_id": 7,
            "type": "payment.refunded",
            "idempotency_key": "ek_1",
            "reference": "dummy_refund_ek_1",
        }
    )
    event = DummyGateway().parse_webhook(body=raw, headers=headers, options=OPTIONS)
    assert (event.idempotency_key, event.movement_reference) == ("ek_1", "dummy_refund_ek_1")
    raw, headers = _webhook(
        {"event_id": "e", "payment_id": 7, "type": "payment.refunded", "reference": "k" * 255}
    )
    event = DummyGateway().parse_webhook(body=raw, headers=headers, options=OPTIONS)
    assert event.movement_reference == "k" * 255


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


MOVEMENT_NAMES = [
    {"idempotency_key": 5},
    {"idempotency_key": ["ek_1"]},
    {"idempotency_key": "k" * 256},
    {"reference": True},
    {"reference": {"id": "r"}},
    {"reference": "r" * 256},
]


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
        *(
            json.dumps(
                {"event_id": "e", "payment_id": 7, "type": "payment.refunded", **name}
            ).encode()
            for name in MOVEMENT_NAMES
        ),
    ],
)
def test_parse_webhook_rejects_authentic_but_malformed_bodies(body: bytes) -> None:
    with pytest.raises(InvalidInputError):
        DummyGateway().parse_webhook(
            body=body, headers={"X-Dummy-Signature": sign(body, "s3cret")}, options=OPTIONS
        )


@pytest.mark.django_db
@pytest.mark.parametrize("name", MOVEMENT_NAMES)
def test_webhook_naming_a_movement_badly_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any], name: dict[str, Any]
) -> None:
    from tests.payments.helpers import signed_webhook

    payment = start_payment(order=make_order(), gateway_id="dummy", payment_data={}, actor=None)
    body, headers = signed_webhook(
        {"event_id": "e", "payment_id": payment.pk, "type": "payment.refunded", **name}
    )
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    payment.refresh_from_db()
    assert payment.refunded == Money(0, "AOA") and not WebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("naming", ["idempotency_key", "reference"])
def test_webhook_naming_the_kits_refund_books_it_once(
    client: Any, gateways_config: dict[str, Any], naming: str
) -> None:
    from tests.payments.helpers import signed_webhook

    order = make_order()
    payment = start_payment(
        order=order,
        gateway_id="dummy",
        payment_data={"token": "tok_success", "timeout_once": ["refund"]},
        actor=None,
    )
    with pytest.raises(GatewayError):
        refund_order(order=order, amount=Money(100, "AOA"), actor=None)
    entry = LedgerEntry.objects.get(payment=payment, kind="refund")
    name = {
        "idempotency_key": entry.idempotency_key,
        "reference": f"dummy_refund_{entry.idempotency_key}",
    }[naming]
    body, headers = signed_webhook(
        {
            "event_id": "evt_refund",
            "payment_id": payment.pk,
            "type": "payment.refunded",
            "amount": {"amount": "100.00", "currency": "AOA"},
            naming: name,
        }
    )
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    # The key settles the open refund at once; the dummy's reference is known only once the
    # refund is settled, so the event waits for the retry, then finds the refund booked.
    expected = f"refund {entry.pk} settled" if naming == "idempotency_key" else "deferred:"
    assert response.json()["result"].startswith(expected)
    retry_open_entries(older_than=timedelta(0))
    assert WebhookEvent.objects.get().state == "applied"
    entry.refresh_from_db()
    payment.refresh_from_db()
    assert entry.state == "succeeded"
    assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 1
    assert payment.refunded == Money(100, "AOA") and payment.refund_pending == Money(0, "AOA")


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
