from __future__ import annotations

import json
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import TransitionLog
from ecommerce_kit.payments.models import Payment, WebhookEvent
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_order, make_payment
from tests.payments.helpers import signed_webhook

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/dummy/"


def _post(client: Any, payload: dict[str, Any], url: str = URL, **headers: str) -> Any:
    body, signature = signed_webhook(payload)
    return client.post(url, data=body, content_type="application/json", **(headers or signature))


def _captured_event(payment: Payment, event_id: str = "evt_1", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "payment_id": payment.pk,
        "type": "payment.captured",
        "amount": {"amount": str(payment.amount.amount), "currency": payment.currency},
        **extra,
    }


def _pending_payment(**kwargs: Any) -> Payment:
    return make_payment(status=PaymentStatus.PENDING, reference="dummy_ref", **kwargs)


def test_captured_webhook_captures_payment_and_confirms_order(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = _pending_payment()
    response = _post(client, _captured_event(payment))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "result": "captured"}
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.captured == payment.amount
    assert payment.order.status == "confirmed"
    event = WebhookEvent.objects.get()
    assert (event.gateway, event.event_id, event.payment_id, event.outcome) == (
        "dummy",
        "evt_1",
        payment.pk,
        "captured",
    )


def test_duplicate_webhook_is_acknowledged_and_changes_nothing(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = _pending_payment()
    assert _post(client, _captured_event(payment)).status_code == 200
    response = _post(client, _captured_event(payment))
    assert response.status_code == 200
    assert response.json()["result"] == "duplicate"
    assert WebhookEvent.objects.count() == 1
    assert TransitionLog.objects.filter(subject="payment").count() == 1
    assert TransitionLog.objects.filter(subject="order").count() == 1


def test_webhook_matches_payment_by_reference(client: Any, gateways_config: dict[str, Any]) -> None:
    payment = _pending_payment()
    event = {**_captured_event(payment), "payment_id": "dummy_ref"}
    assert _post(client, event).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "captured"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_DUMMY_SIGNATURE": "sha256=deadbeef"},
        {"HTTP_X_DUMMY_SIGNATURE": ""},
    ],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(
    client: Any, gateways_config: dict[str, Any], headers: dict[str, str]
) -> None:
    payment = _pending_payment()
    body = json.dumps(_captured_event(payment)).encode()
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not WebhookEvent.objects.exists()


def test_signature_with_another_secret_is_rejected(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = _pending_payment()
    body, headers = signed_webhook(_captured_event(payment), secret="not-the-secret")
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"


def test_tampered_body_is_rejected(client: Any, gateways_config: dict[str, Any]) -> None:
    payment = _pending_payment()
    body, headers = signed_webhook(_captured_event(payment))
    forged = body.replace(b"payment.captured", b"payment.refunded")
    response = client.post(URL, data=forged, content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"


def test_unknown_gateway_is_404(client: Any, gateways_config: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/payments/webhooks/nope/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_unconfigured_gateway_is_404(client: Any) -> None:
    payment = _pending_payment()
    assert _post(client, _captured_event(payment)).status_code == 404


def test_webhook_for_unknown_payment_is_404(client: Any, gateways_config: dict[str, Any]) -> None:
    event = {"event_id": "e", "payment_id": 999999, "type": "payment.captured"}
    assert _post(client, event).status_code == 404
    event["payment_id"] = 2**70
    assert _post(client, event).status_code == 404
    assert not WebhookEvent.objects.exists()


def test_webhook_for_payment_of_another_gateway_is_404(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = make_payment(gateway="other", status=PaymentStatus.PENDING)
    assert _post(client, _captured_event(payment)).status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"event_id": "e", "type": "payment.captured"}).encode(),
    ],
)
def test_authentic_but_malformed_body_is_400_invalid(
    client: Any, body: bytes, gateways_config: dict[str, Any]
) -> None:
    from ecommerce_kit.payments.dummy import sign
    from tests.payments.conftest import WEBHOOK_SECRET

    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_DUMMY_SIGNATURE=sign(body, WEBHOOK_SECRET),
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_webhook_in_another_currency_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = _pending_payment()
    event = _captured_event(payment, amount={"amount": "10.00", "currency": "USD"})
    assert _post(client, event).status_code == 400
    payment.refresh_from_db()
    assert payment.status == "pending" and not WebhookEvent.objects.exists()


def test_failed_webhook_fails_payment_and_leaves_order_pending(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = _pending_payment()
    response = _post(client, {"event_id": "f1", "payment_id": payment.pk, "type": "payment.failed"})
    assert response.json()["result"] == "failed"
    payment.refresh_from_db()
    assert payment.status == "failed" and payment.order.status == "pending"


def test_refunded_webhook_books_the_refund(client: Any, gateways_config: dict[str, Any]) -> None:
    payment = make_payment()
    event = {
        "event_id": "r1",
        "payment_id": payment.pk,
        "type": "payment.refunded",
        "amount": {"amount": "400.00", "currency": "AOA"},
    }
    assert _post(client, event).json()["result"] == "refunded"
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    assert payment.refunded == Money("400.00", "AOA")
    # More than is left to refund cannot be booked: it is kept, and changes nothing.
    too_much = {**event, "event_id": "r2", "amount": {"amount": "900.00", "currency": "AOA"}}
    assert _post(client, too_much).json()["result"].startswith("deferred")
    payment.refresh_from_db()
    assert payment.refunded == Money("400.00", "AOA")
    event = {**event, "event_id": "r3", "amount": {"amount": "600.00", "currency": "AOA"}}
    assert _post(client, event).json()["result"] == "refunded"
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.refunded == payment.captured
    assert WebhookEvent.objects.get(event_id="r2").state == "deferred"


def test_captured_webhook_for_captured_payment_is_ignored(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    payment = make_payment()
    logged = TransitionLog.objects.count()
    response = _post(client, _captured_event(payment))
    assert response.status_code == 200
    assert response.json()["result"].startswith("duplicate")
    assert TransitionLog.objects.count() == logged
    payment.refresh_from_db()
    assert payment.captured == payment.amount


def test_unknown_event_type_is_acknowledged(client: Any, gateways_config: dict[str, Any]) -> None:
    payment = _pending_payment()
    response = _post(client, {"event_id": "x", "payment_id": payment.pk, "type": "charge.disputed"})
    assert response.status_code == 200 and response.json()["result"].startswith("ignored")
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_capture_for_cancelled_order_refunds_the_payment(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    order = make_order(status="cancelled")
    payment = _pending_payment(order=order)
    assert _post(client, _captured_event(payment)).status_code == 200
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert payment.status == "refunded" and payment.refunded == payment.amount


def test_capture_of_second_payment_for_paid_order_refunds_it(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    order = make_order(status="confirmed")
    first = make_payment(order=order)
    second = _pending_payment(order=order)
    assert _post(client, _captured_event(second)).status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "captured"
    assert second.status == "refunded"


def test_capture_webhook_for_failed_payment_pays_its_pending_order(
    client: Any, scripted_gateway: Any
) -> None:
    # The kit gave up on the payment (the gateway timed out) but the provider took the money:
    # the order, still unpaid, is paid by it.
    payment = make_payment(gateway="scripted", status=PaymentStatus.FAILED)
    event = _captured_event(payment)
    response = _post(client, event, url="/api/v1/payments/webhooks/scripted/")
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "captured" and payment.order.status == "confirmed"
    assert scripted_gateway.calls == []


def test_capture_webhook_for_failed_payment_of_a_paid_order_gives_the_money_back(
    client: Any, scripted_gateway: Any
) -> None:
    order = make_order()
    failed = make_payment(order=order, gateway="scripted", status=PaymentStatus.FAILED)
    make_payment(order=order, gateway="scripted")  # paid by another payment meanwhile
    response = _post(client, _captured_event(failed), url="/api/v1/payments/webhooks/scripted/")
    assert response.status_code == 200
    order.refresh_from_db()
    # The order held twice its total: the newest payment's money is given back.
    assert [name for name, _ in scripted_gateway.calls] == ["refund"]
    statuses = sorted(order.payments.values_list("status", flat=True))
    assert statuses == ["captured", "refunded"]
    assert order.status == "confirmed" and order.charge_status == "full"
    assert order.held == order.total


def test_webhook_query_budget(
    client: Any, gateways_config: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    payment = _pending_payment()
    with django_assert_max_num_queries(16):
        assert _post(client, _captured_event(payment)).status_code == 200
    with django_assert_max_num_queries(7):
        assert _post(client, _captured_event(payment)).json()["result"] == "duplicate"


@pytest.mark.parametrize(
    "change",
    [
        {"event_id": "evt\u0000"},
        {"type": "payment.captured\u0000"},
        {"message": {"text": ["\u0000"]}},
        {"note\u0000": 1},
    ],
)
def test_authentic_webhook_with_a_null_character_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any], change: dict[str, Any]
) -> None:
    # The event id, type and payload are stored in text and jsonb columns, which cannot hold a
    # NUL character on PostgreSQL (it answered 500 DataError).
    payment = _pending_payment()
    response = _post(client, {**_captured_event(payment), **change})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    payment.refresh_from_db()
    assert payment.status == "pending" and not WebhookEvent.objects.exists()


def test_authentic_webhook_nested_too_deeply_is_400_and_not_recorded(
    client: Any, gateways_config: dict[str, Any]
) -> None:
    from ecommerce_kit.payments.dummy import sign
    from tests.payments.conftest import WEBHOOK_SECRET

    # json.loads raises RecursionError (not a ValueError) on such a body: it answered 500.
    body = b'{"event_id": "e", "amount": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_DUMMY_SIGNATURE=sign(body, WEBHOOK_SECRET),
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert not WebhookEvent.objects.exists()


def test_a_void_event_after_the_kit_s_own_void_is_booked_once(
    client: Any, gateways_config: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from ecommerce_kit.orders.services import cancel_order

    payment = _pending_payment()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order_id=payment.order_id, actor=None)  # voids the pending payment
    payment.refresh_from_db()
    assert payment.status == "voided" and payment.voided == payment.amount
    event = {"event_id": "v1", "payment_id": payment.pk, "type": "payment.voided"}
    assert _post(client, event).json()["result"].startswith("duplicate")
    payment.refresh_from_db()
    assert payment.voided == payment.amount
