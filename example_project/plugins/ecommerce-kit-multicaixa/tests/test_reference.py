"""Payment by Multicaixa reference: what is sent to the provider, and the webhooks' checks."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from ecommerce_kit_multicaixa.testing import FakeMulticaixa, webhook_request

from ecommerce_kit.exceptions import InvalidSignatureError
from ecommerce_kit.payments.models import GatewayCallLog
from ecommerce_kit.payments.services import handle_webhook, start_payment
from ecommerce_kit.testing.factories import create_order


@pytest.mark.django_db
def test_reference_payment_sends_an_idempotent_request_and_logs_no_secret(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    order = create_order()
    payment = start_payment(order=order, gateway_id="multicaixa_ref", payment_data={}, actor=None)
    assert payment.status == "pending"
    assert payment.next_action == {
        "type": "reference",
        "entity": "11223",
        "reference": "900 000 001",
        "expires_at": "2030-01-01T12:00:00+00:00",
    }
    request = fake_provider.requests[0]
    assert (request.method, request.path) == ("POST", "/references")
    assert request.headers["Idempotency-Key"] == payment.idempotency_key
    body = request.payload
    assert body["merchant_reference"] == order.number and body["amount"] == "1000.00"
    assert body["expires_in"] == 48 * 3600
    log = GatewayCallLog.objects.get()
    assert (log.gateway, log.status_code) == ("multicaixa_ref", 201)
    assert "mcx_test_key" not in log.request_body + log.response_body + log.url


@pytest.mark.django_db
def test_old_or_future_webhooks_are_rejected(
    multicaixa: Any, fake_provider: FakeMulticaixa
) -> None:
    payment = start_payment(
        order=create_order(), gateway_id="multicaixa_ref", payment_data={}, actor=None
    )
    event = {
        "id": "evt_old",
        "type": "reference.paid",
        "data": {"reference_id": payment.reference, "amount": "1000.00", "currency": "AOA"},
    }
    for stamp in (int(time.time()) - 3600, int(time.time()) + 3600):
        body, headers = webhook_request(event, timestamp=stamp)
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id="multicaixa_ref", body=body, headers=headers)
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_webhook_body_is_not_read_before_the_signature_is_checked(multicaixa: Any) -> None:
    # Not JSON at all: a bad signature must be reported, not a parse error.
    with pytest.raises(InvalidSignatureError):
        multicaixa.gateway.parse_webhook(
            body=b"\xff not json",
            headers={"X-Multicaixa-Signature": f"t={int(time.time())},v1=00"},
            options={"webhook_secret": "x"},
        )
    body = json.dumps({"id": "e"}).encode()
    with pytest.raises(InvalidSignatureError):
        multicaixa.gateway.parse_webhook(body=body, headers={}, options={"webhook_secret": "x"})
