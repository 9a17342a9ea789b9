"""The gateway HTTP client never logs or stores a URL's credentials or sensitive query values.

Every place a URL ends up is checked: the ``GatewayCallLog`` row (url and error), the message of
the ``GatewayError`` it raises, and Python log records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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
    redact_text,
    redact_url,
    urllib_transport,
)
from ecommerce_kit.payments.models import GatewayCallLog

SECRETS = ("merchant-7", "hunter2-pw", "sk_live_123", "tok_abc_987")
BASE = "https://merchant-7:hunter2-pw@pay.example/api"


class Transport:
    """Records each URL it is asked for, then answers or raises what it was given."""

    def __init__(self, answer: HttpResponse | Exception) -> None:
        self.answer = answer
        self.urls: list[str] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        self.urls.append(url)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _client(transport: Transport, base_url: str = BASE, **kwargs: Any) -> GatewayHttpClient:
    kwargs.setdefault("breaker", CircuitBreaker("acme", threshold=99))
    return GatewayHttpClient(
        "acme", base_url=base_url, transport=transport, sleep=lambda _s: None, **kwargs
    )


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


# --- redact_url ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@host/", "https://host/"),
        ("https://user:pass@host/v1/charges", "https://host/v1/charges"),
        ("https://user@host:8443/x", "https://host:8443/x"),
        ("https://sk_live_123:@api.example/v1", "https://api.example/v1"),
        ("https://user:p@ss@host/x", "https://host/x"),  # an unencoded "@" in the password
        ("https://user:p%40ss@host/x?a=1#frag", "https://host/x?a=1"),
        ("user:pass@host/x", "host/x"),  # no scheme
        ("https://host/x?email=a@b.example", "https://host/x?email=a@b.example"),
        ("https://host/x", "https://host/x"),
        ("/v1/x?token=t&page=2", f"/v1/x?token={REDACTED}&page=2"),
        ("https://user:pass@[::1/x?token=t", f"https://[::1/x?token={REDACTED}"),  # unparsable
    ],
)
def test_redact_url_drops_user_info_and_fragment(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "apiKey",
        "api-key",
        "key",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "X-Amz-Signature",
        "sig",
        "auth",
        "hmac",
        "session_id",
    ],
)
def test_redact_url_replaces_sensitive_query_values(name: str) -> None:
    url = f"https://host/v1/pay?amount=10.00&{name}=sk_live_123&currency=AOA"
    assert redact_url(url) == f"https://host/v1/pay?amount=10.00&{name}={REDACTED}&currency=AOA"


@pytest.mark.parametrize("name", ["currency", "amount", "page", "reference", "monkey"])
def test_redact_url_keeps_other_query_values(name: str) -> None:
    url = f"https://host/v1?{name}=AOA&x=%20y+z"
    assert redact_url(url) == url


def test_redact_url_takes_extra_names_and_encoded_names() -> None:
    assert redact_url("https://host/?msisdn=244900&a=1", ["msisdn"]) == (
        f"https://host/?msisdn={REDACTED}&a=1"
    )
    assert redact_url("https://host/?api%5Fkey=k&a=1") == f"https://host/?api%5Fkey={REDACTED}&a=1"


# --- redact_text -----------------------------------------------------------------------------


def test_redact_text_removes_the_urls_credentials_wherever_quoted() -> None:
    url = "http://merchant-7:hunter2-pw@pay.example/v1/charge?api_key=sk_live_123&currency=AOA"
    messages = [
        f"failed to open {url}",
        "nonnumeric port: 'hunter2-pw@pay.example'",
        "Max retries exceeded with url: /v1/charge?api_key=sk_live_123&currency=AOA",
        "login failed for merchant-7",
        "password%3A hunter2-pw",
    ]
    for message in messages:
        _assert_no_secret(redact_text(message, url))
    assert redact_text(f"failed to open {url}", url) == (
        f"failed to open http://pay.example/v1/charge?api_key={REDACTED}&currency=AOA"
    )


def test_redact_text_removes_user_info_and_sensitive_pairs_of_any_url() -> None:
    text = "redirected to https://merchant-7:hunter2-pw@other.example/?token=tok_abc_987&page=1"
    assert redact_text(text) == f"redirected to https://other.example/?token={REDACTED}&page=1"


def test_redact_text_replaces_a_short_password_too() -> None:
    assert redact_text("nonnumeric port: 'pw@host'", "http://u:pw@host/") == (
        f"nonnumeric port: '{REDACTED}@host'"
    )


# --- The client ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_call_log_url_has_no_user_info_even_without_a_query() -> None:
    transport = Transport(HttpResponse(200, {}, b"{}"))
    assert _client(transport).get("/status").ok
    # The provider still gets the URL as configured.
    assert transport.urls == [f"{BASE}/status"]
    log = GatewayCallLog.objects.get()
    assert log.url == "https://pay.example/api/status"
    _assert_no_secret(log.url, str(log))


@pytest.mark.django_db
def test_call_log_url_has_neither_user_info_nor_sensitive_params() -> None:
    transport = Transport(HttpResponse(200, {}, b"{}"))
    _client(transport).get(
        "/pay", params={"token": "tok_abc_987", "currency": "AOA", "access_token": "sk_live_123"}
    )
    log = GatewayCallLog.objects.get()
    assert log.url == (
        f"https://pay.example/api/pay?token={REDACTED}&currency=AOA&access_token={REDACTED}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("error_class", [TransportError, TransportTimeoutError])
def test_transport_error_quoting_the_url_is_redacted_in_log_and_exception(
    error_class: type[TransportError], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{BASE}/charge?api_key=sk_live_123&currency=AOA"
    transport = Transport(error_class(f"cannot reach {url} (hunter2-pw@pay.example)"))
    with caplog.at_level(logging.DEBUG), pytest.raises(GatewayError) as info:
        _client(transport, retries=1).get("/charge", params={"api_key": "sk_live_123"})
    logs = list(GatewayCallLog.objects.order_by("attempt"))
    assert len(logs) == 2
    for log in logs:
        _assert_no_secret(log.url, log.error, str(log))
        assert "pay.example/api/charge" in log.error
    _assert_no_secret(str(info.value), str(info.value.message), repr(info.value.extra))
    assert "https://pay.example/api/charge" in str(info.value)
    _assert_no_secret(*(record.getMessage() for record in caplog.records))


@pytest.mark.django_db
def test_circuit_open_log_has_no_credentials(caplog: pytest.LogCaptureFixture) -> None:
    transport = Transport(HttpResponse(503, {}, b""))
    breaker = CircuitBreaker("acme", threshold=1, reset=60)
    http = _client(transport, retries=0, breaker=breaker)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(GatewayError):
            http.get("/x?token=tok_abc_987")
        with pytest.raises(GatewayUnavailableError):
            http.get("/x?token=tok_abc_987")
    assert sorted(GatewayCallLog.objects.values_list("outcome", flat=True)) == [
        "circuit_open",
        "http_error",
    ]
    for log in GatewayCallLog.objects.all():
        assert log.url == f"https://pay.example/api/x?token={REDACTED}"
        _assert_no_secret(log.url, log.error, str(log))
    _assert_no_secret(*(record.getMessage() for record in caplog.records))


@pytest.mark.django_db
def test_urllib_transport_with_credentials_in_the_url_fails_cleanly() -> None:
    # urllib reads "hunter2-pw@127.0.0.1" as a port and raises http.client.InvalidURL quoting it:
    # that used to escape the client unredacted.
    http = GatewayHttpClient(
        "acme",
        base_url="http://merchant-7:hunter2-pw@127.0.0.1/api",
        retries=0,
        breaker=CircuitBreaker("acme", threshold=99),
    )
    with pytest.raises(GatewayError) as info:
        http.get("/status")
    _assert_no_secret(str(info.value))
    log = GatewayCallLog.objects.get()
    assert log.outcome == "network_error"
    assert log.url == "http://127.0.0.1/api/status"
    _assert_no_secret(log.url, log.error)


def test_urllib_transport_turns_http_client_errors_into_transport_errors() -> None:
    with pytest.raises(TransportError):
        urllib_transport("GET", "http://user:pw@127.0.0.1/", {}, None, 2.0)
