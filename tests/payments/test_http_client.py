from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ecommerce_kit.exceptions import GatewayError, GatewayUnavailableError
from ecommerce_kit.payments.http import (
    REDACTED,
    CircuitBreaker,
    GatewayHttpClient,
    HttpResponse,
    TransportError,
    TransportTimeoutError,
    redact,
    urllib_transport,
)
from ecommerce_kit.payments.models import GatewayCallLog


class FakeTransport:
    """Answers from a script: each item is an HttpResponse or an exception to raise."""

    def __init__(self, *script: HttpResponse | Exception) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        self.calls.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers),
                "body": body,
                "timeout": timeout,
            }
        )
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item


def ok(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, headers or {}, json.dumps(body or {"ok": True}).encode())


def client(
    transport: FakeTransport, sleeps: list[float] | None = None, **kwargs: Any
) -> GatewayHttpClient:
    recorded = sleeps if sleeps is not None else []
    return GatewayHttpClient(
        "acme",
        base_url="https://pay.example/api",
        transport=transport,
        sleep=recorded.append,
        **kwargs,
    )


@pytest.mark.django_db
def test_request_returns_answer_and_logs_one_row() -> None:
    transport = FakeTransport(ok({"id": "p_1"}))
    response = client(transport, timeout=3).post(
        "/payments", json={"amount": "10.00"}, idempotency_key="pay-1"
    )
    assert response.ok and response.json() == {"id": "p_1"}
    call = transport.calls[0]
    assert call["url"] == "https://pay.example/api/payments"
    assert call["timeout"] == 3
    assert call["headers"]["Idempotency-Key"] == "pay-1"
    assert call["headers"]["Content-Type"] == "application/json"
    log = GatewayCallLog.objects.get()
    assert (log.gateway, log.method, log.status_code, log.outcome, log.attempt) == (
        "acme",
        "POST",
        200,
        "ok",
        1,
    )
    assert json.loads(log.request_body) == {"amount": "10.00"}


@pytest.mark.django_db
def test_request_retries_with_backoff_on_5xx_then_succeeds() -> None:
    transport = FakeTransport(ok(status=503), ok(status=502), ok({"id": "x"}))
    sleeps: list[float] = []
    response = client(transport, sleeps, retries=3, backoff=0.5).get("/status")
    assert response.status_code == 200
    assert len(transport.calls) == 3
    assert sleeps == [0.5, 1.0]
    assert list(GatewayCallLog.objects.order_by("attempt").values_list("attempt", "outcome")) == [
        (1, "http_error"),
        (2, "http_error"),
        (3, "ok"),
    ]


@pytest.mark.django_db
def test_request_retries_timeouts_and_network_errors_then_raises_gateway_error() -> None:
    transport = FakeTransport(
        TransportTimeoutError("slow"), TransportError("refused"), TransportTimeoutError("slow")
    )
    with pytest.raises(GatewayError):
        client(transport, retries=2, backoff=0, breaker=CircuitBreaker("acme", threshold=99)).get(
            "/status"
        )
    assert len(transport.calls) == 3
    assert sorted(GatewayCallLog.objects.values_list("outcome", flat=True)) == [
        "network_error",
        "timeout",
        "timeout",
    ]


@pytest.mark.django_db
def test_request_honours_retry_after_on_429() -> None:
    transport = FakeTransport(ok(status=429, headers={"retry-after": "2"}), ok())
    sleeps: list[float] = []
    assert client(transport, sleeps, retries=1, backoff=0.1).get("/x").ok
    assert sleeps == [2.0]


@pytest.mark.django_db
def test_post_without_idempotency_key_is_not_retried() -> None:
    transport = FakeTransport(ok(status=500))
    with pytest.raises(GatewayError):
        client(transport, retries=3).post("/payments", json={})
    assert len(transport.calls) == 1


@pytest.mark.django_db
def test_client_error_is_returned_without_retry() -> None:
    transport = FakeTransport(ok({"error": "declined"}, status=402))
    response = client(transport, retries=3).get("/x")
    assert response.status_code == 402
    assert len(transport.calls) == 1


@pytest.mark.django_db
def test_settings_give_the_defaults(settings: Any) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "HTTP_TIMEOUT": 4.5,
        "HTTP_RETRIES": 1,
        "HTTP_BACKOFF": 0.25,
    }
    transport = FakeTransport(ok(status=500), ok())
    sleeps: list[float] = []
    client(transport, sleeps).get("/x")
    assert [c["timeout"] for c in transport.calls] == [4.5, 4.5]
    assert sleeps == [0.25]


@pytest.mark.django_db
def test_call_log_redacts_secrets_in_body_url_and_response() -> None:
    transport = FakeTransport(ok({"id": "p", "client_secret": "cs_live"}))
    client(transport).post(
        "/charge?api_key=sk_live&currency=AOA",
        json={
            "card": {"number": "4242424242424242", "cvc": "123"},
            "amount": "5.00",
            "customerToken": "t",
            "shipping": "fast",
            "pin": "0000",
        },
    )
    log = GatewayCallLog.objects.get()
    assert "4242" not in log.request_body and "sk_live" not in log.url
    assert json.loads(log.request_body) == {
        "card": REDACTED,
        "amount": "5.00",
        "customerToken": REDACTED,
        "shipping": "fast",
        "pin": REDACTED,
    }
    assert "currency=AOA" in log.url
    assert json.loads(log.response_body) == {"id": "p", "client_secret": REDACTED}


def test_redact_extra_keys_and_form_bodies() -> None:
    assert redact({"msisdn": "244900", "items": [{"cvv": "1"}]}, ["msisdn"]) == {
        "msisdn": REDACTED,
        "items": [{"cvv": REDACTED}],
    }


@pytest.mark.django_db
def test_circuit_opens_after_threshold_and_refuses_calls() -> None:
    now = [1000.0]
    breaker = CircuitBreaker("acme", threshold=3, reset=30, clock=lambda: now[0])
    transport = FakeTransport(ok(status=500))
    http = client(transport, retries=0, breaker=breaker)
    for _ in range(3):
        with pytest.raises(GatewayError):
            http.get("/x")
    assert breaker.state == "open"
    with pytest.raises(GatewayUnavailableError):
        http.get("/x")
    assert len(transport.calls) == 3
    assert GatewayCallLog.objects.filter(outcome="circuit_open").count() == 1


@pytest.mark.django_db
def test_circuit_half_open_trial_success_closes_it() -> None:
    now = [1000.0]
    breaker = CircuitBreaker("acme", threshold=1, reset=30, clock=lambda: now[0])
    transport = FakeTransport(ok(status=500), ok())
    http = client(transport, retries=0, breaker=breaker)
    with pytest.raises(GatewayError):
        http.get("/x")
    assert breaker.state == "open"
    now[0] += 31
    assert breaker.state == "half_open"
    assert http.get("/x").ok
    assert breaker.state == "closed"


@pytest.mark.django_db
def test_circuit_half_open_trial_failure_reopens_and_allows_one_trial() -> None:
    now = [1000.0]
    breaker = CircuitBreaker("acme", threshold=1, reset=30, clock=lambda: now[0])
    breaker.record_failure()
    now[0] += 31
    assert breaker.allow() is True
    assert breaker.allow() is False  # only one trial at a time
    breaker.record_failure()
    assert breaker.state == "open"


@pytest.mark.django_db
def test_circuit_state_is_shared_through_the_cache() -> None:
    CircuitBreaker("shared", threshold=2, reset=60).record_failure()
    CircuitBreaker("shared", threshold=2, reset=60).record_failure()
    assert CircuitBreaker("shared", threshold=2, reset=60).state == "open"
    assert CircuitBreaker("other", threshold=2, reset=60).state == "closed"


@pytest.mark.django_db
def test_circuit_reads_threshold_from_settings(settings: Any) -> None:
    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "CIRCUIT_BREAKER_THRESHOLD": 2}
    breaker = CircuitBreaker("acme")
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        status = 201 if self.path == "/created" else 404
        payload = json.dumps({"echo": body, "key": self.headers.get("Idempotency-Key")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_urllib_transport_talks_http(local_server: str) -> None:
    http = GatewayHttpClient("local", base_url=local_server, retries=0)
    response = http.post("/created", json={"a": 1}, idempotency_key="k1")
    assert response.status_code == 201
    assert response.json() == {"echo": {"a": 1}, "key": "k1"}
    assert http.post("/missing", json={"a": 1}).status_code == 404


def test_urllib_transport_raises_transport_error_when_nothing_listens() -> None:
    with pytest.raises(TransportError):
        urllib_transport("GET", "http://127.0.0.1:9/", {}, None, 2.0)


def test_phone_numbers_are_never_stored() -> None:
    # A mobile payment's phone number identifies the buyer: kept out of payments and call logs.
    assert redact({"phone": "+244923000000", "buyer_msisdn": "244923000000", "token": "t"}) == {
        "phone": REDACTED,
        "buyer_msisdn": REDACTED,
        "token": REDACTED,
    }
