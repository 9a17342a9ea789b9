"""The HTTP client gateways use to talk to their providers.

:class:`GatewayHttpClient` adds what every integration needs around a plain HTTP call:

- a timeout on every request (``HTTP_TIMEOUT``);
- retries with exponential backoff (``HTTP_RETRIES``, ``HTTP_BACKOFF``) on timeouts, network
  errors, ``5xx`` and ``429`` answers — for ``POST`` and ``PATCH`` only when an idempotency key is
  given (sent as the ``Idempotency-Key`` header), so a retry never charges twice;
- a circuit breaker per gateway whose state lives in Django's cache, so every process shares it:
  after ``CIRCUIT_BREAKER_THRESHOLD`` failed attempts in a row, calls are refused at once with
  :class:`~ecommerce_kit.exceptions.GatewayUnavailableError` for ``CIRCUIT_BREAKER_RESET``; then
  one trial call is let through, which closes the circuit again if it succeeds;
- a :class:`~ecommerce_kit.payments.models.GatewayCallLog` row for every attempt (method, URL,
  status, duration, outcome, request and response bodies with secrets redacted).

URLs never reach the call log, log messages or error messages with their credentials:
:func:`redact_url` drops the user info (``https://user:password@host/`` is logged as
``https://host/``) and the fragment, and replaces the values of sensitive query parameters
(``api_key``, ``token``, ``signature``, ...); :func:`redact_text` does the same to an error
message that may quote the URL.

Retryable failures that persist raise :class:`~ecommerce_kit.exceptions.GatewayError`; any other
answer (``2xx`` to ``4xx``) is returned for the gateway to interpret.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, transaction

from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import GatewayError, GatewayUnavailableError

logger = logging.getLogger(__name__)

__all__ = [
    "CircuitBreaker",
    "GatewayHttpClient",
    "HttpResponse",
    "TransportError",
    "TransportTimeoutError",
    "redact",
    "redact_text",
    "redact_url",
    "urllib_transport",
]

REDACTED = "[redacted]"
#: JSON keys whose values never reach the call log: a key is sensitive when it contains one of
#: these (case-insensitively) ...
SENSITIVE_KEYS: tuple[str, ...] = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "authorization",
    "card",
    "iban",
    "signature",
    "private",
    "phone",
    "msisdn",
)
#: ... or when one of its words (split at ``_``, ``-`` and camelCase) is one of these.
SENSITIVE_WORDS: frozenset[str] = frozenset({"cvc", "cvv", "pan", "pin", "auth", "key", "otp"})
#: Query parameters are sensitive like JSON keys, and also when one of their words is one of these
#: (``sig`` of signed storage URLs, ``pwd``, ...).
SENSITIVE_QUERY_WORDS: frozenset[str] = frozenset(
    {
        "sig",
        "pwd",
        "pass",
        "passphrase",
        "jwt",
        "hmac",
        "credential",
        "credentials",
        "session",
        "sessionid",
    }
)
#: A URL's user name and sensitive query values shorter than this are replaced in error messages
#: only where they appear as ``user:password@`` or ``name=value`` (replacing ``"1"`` everywhere
#: would garble the message). A password is replaced wherever it appears, whatever its length.
MIN_SECRET_LENGTH = 4
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_LOGGED_BODY = 4000
MAX_RETRY_AFTER = 30.0


class TransportError(Exception):
    """The request did not get an answer (connection refused, reset, DNS failure, ...)."""


class TransportTimeoutError(TransportError):
    """The request timed out."""


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP answer: status, headers (lower-cased names) and raw body."""

    status_code: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """Decode the body as JSON.

        :raises GatewayError: when it is not JSON.
        """
        try:
            return jsonlib.loads(self.content)
        except (UnicodeDecodeError, ValueError):
            raise GatewayError(
                "The payment provider answered with a body that is not JSON."
            ) from None


Transport = Callable[[str, str, Mapping[str, str], bytes | None, float], HttpResponse]
"""``transport(method, url, headers, body, timeout) -> HttpResponse``; raises
:class:`TransportTimeoutError` or :class:`TransportError` when there is no answer."""


def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> HttpResponse:
    """Send one request with the standard library (the default transport)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return HttpResponse(
                answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
            )
    except urllib.error.HTTPError as exc:
        content = exc.read() if exc.fp is not None else b""
        return HttpResponse(
            exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, content
        )
    except TimeoutError as exc:
        raise TransportTimeoutError(str(exc) or "timed out") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise TransportTimeoutError(str(exc.reason) or "timed out") from exc
        raise TransportError(str(exc.reason)) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # http.client.InvalidURL ("nonnumeric port: 'password@host'") among others: the client
        # redacts the message before it is logged.
        raise TransportError(str(exc)) from exc


def _words(key: str) -> set[str]:
    """The words of ``key``, lower-cased, split at non-alphanumerics and camelCase."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
    return set(re.split(r"[^a-z0-9]+", words))


def _is_sensitive(key: str, extra: Iterable[str]) -> bool:
    lowered = key.lower()
    if any(word in lowered for word in (*SENSITIVE_KEYS, *extra)):
        return True
    return not _words(key).isdisjoint(SENSITIVE_WORDS)


def _is_sensitive_param(name: str, extra: Iterable[str]) -> bool:
    return _is_sensitive(name, extra) or not _words(name).isdisjoint(SENSITIVE_QUERY_WORDS)


def redact(value: Any, extra: Iterable[str] = ()) -> Any:
    """Return ``value`` (parsed JSON) with the values of sensitive keys replaced."""
    extra = tuple(e.lower() for e in extra)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if _is_sensitive(str(k), extra) else redact(v, extra)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, extra) for v in value]
    return value


def _redact_body(content: bytes | None, extra: Iterable[str]) -> str:
    if not content:
        return ""
    try:
        text = content.decode()
    except UnicodeDecodeError:
        return f"<{len(content)} bytes>"
    try:
        parsed = jsonlib.loads(text)
    except ValueError:
        if "=" in text and not any(c.isspace() for c in text.strip()):
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
            if pairs:
                text = urllib.parse.urlencode(
                    [(k, REDACTED if _is_sensitive(k, extra) else v) for k, v in pairs]
                )
                return text[:MAX_LOGGED_BODY]
        return f"<{len(content)} bytes, not JSON>"
    return jsonlib.dumps(redact(parsed, extra), default=str)[:MAX_LOGGED_BODY]


# The user info of any URL in a text: what follows "//" up to the last "@" before the host ends.
_USERINFO = re.compile(r"(?<=//)[^/?#\s]*@")
# A "name=value" pair, in a query string or anywhere in a text.
_PARAM = re.compile(r"(?P<name>[\w.~%+\[\]-]+)=(?P<value>[^&#\s'\"<>,;)]*)")


def _redact_query(query: str, extra: Iterable[str]) -> str:
    pieces = []
    for piece in query.split("&"):
        name, equals, _value = piece.partition("=")
        if equals and _is_sensitive_param(urllib.parse.unquote_plus(name), extra):
            piece = f"{name}={REDACTED}"
        pieces.append(piece)
    return "&".join(pieces)


def _split(url: str) -> urllib.parse.SplitResult:
    """Split ``url``; one written without a scheme (``user:pw@host/x``) is read as ``//user:...``.

    :raises ValueError: when ``url`` cannot be split (an unclosed IPv6 bracket, say).
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.netloc and "//" not in url:
        parts = urllib.parse.urlsplit("//" + url)
    return parts


def redact_url(url: str, extra: Iterable[str] = ()) -> str:
    """Return ``url`` fit for a log: no user info, no fragment, sensitive query values replaced.

    ``https://user:pass@pay.example/v1?api_key=sk&currency=AOA#x`` becomes
    ``https://pay.example/v1?api_key=[redacted]&currency=AOA``. The rest of the URL is kept as
    written.

    :param extra: More parameter names to treat as sensitive (as ``redact_keys`` of the client).
    """
    extra = tuple(e.lower() for e in extra)
    try:
        parts = _split(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: redact it as text
        return _redact_pairs(_USERINFO.sub("", url), extra)
    netloc = parts.netloc.rpartition("@")[2]
    query = _redact_query(parts.query, extra)
    redacted = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return redacted if "//" in url else redacted.removeprefix("//")


def _redact_pairs(text: str, extra: Iterable[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if _is_sensitive_param(urllib.parse.unquote_plus(name), extra):
            return f"{name}={REDACTED}"
        return match[0]

    return _PARAM.sub(replace, text)


def _url_secrets(url: str, extra: Iterable[str]) -> set[str]:
    """The user name, password and sensitive query values of ``url``, raw and decoded."""
    try:
        parts = _split(url)
    except ValueError:
        return set()
    userinfo, at, _host = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    values = {user} if at else set()
    for piece in parts.query.split("&"):
        name, equals, value = piece.partition("=")
        if equals and _is_sensitive_param(urllib.parse.unquote_plus(name), extra):
            values.add(value)
    secrets = {
        secret
        for value in values
        for secret in (value, urllib.parse.unquote_plus(value))
        if len(secret) >= MIN_SECRET_LENGTH
    }
    if at and colon and password:
        secrets |= {password, urllib.parse.unquote(password)}
    return secrets


def redact_text(text: str, url: str = "", extra: Iterable[str] = ()) -> str:
    """Return ``text`` (an error message) without credentials or sensitive query values.

    The user info of every URL in it is dropped, and so are the values of sensitive
    ``name=value`` pairs. When ``url`` is given (the URL the message is about), it is replaced by
    :func:`redact_url`'s version, and its user name, password and sensitive query values are
    replaced wherever they appear (transports quote parts of the URL in their errors).
    """
    extra = tuple(e.lower() for e in extra)
    if url:
        text = text.replace(url, redact_url(url, extra))
        for secret in sorted(_url_secrets(url, extra), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
    return _redact_pairs(_USERINFO.sub("", text), extra)


class CircuitBreaker:
    """A circuit breaker whose state is kept in Django's default cache.

    Closed: calls go through; each failure counts, a success resets the count. Open (after
    ``threshold`` failures in a row): calls are refused until ``reset`` seconds have passed. Then
    half-open: one caller at a time gets a trial call; success closes the circuit, failure opens it
    again. Use a shared cache (Redis, Memcached, database) so that every process sees one state.
    """

    def __init__(
        self,
        name: str,
        *,
        threshold: int | None = None,
        reset: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._threshold = threshold
        self._reset = reset
        self.clock = clock
        prefix = f"ecommerce_kit:circuit:{name}"
        self._failures_key = f"{prefix}:failures"
        self._opened_key = f"{prefix}:opened_at"
        self._trial_key = f"{prefix}:trial"

    @property
    def threshold(self) -> int:
        return (
            self._threshold
            if self._threshold is not None
            else kit_settings.CIRCUIT_BREAKER_THRESHOLD
        )

    @property
    def reset(self) -> float:
        return (
            self._reset
            if self._reset is not None
            else kit_settings.CIRCUIT_BREAKER_RESET.total_seconds()
        )

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"``."""
        opened_at = cache.get(self._opened_key)
        if opened_at is None:
            return "closed"
        return "open" if self.clock() < opened_at + self.reset else "half_open"

    def allow(self) -> bool:
        """Return whether a call may be made now (claiming the trial call when half-open)."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        return bool(cache.add(self._trial_key, 1, timeout=max(self.reset, 1)))

    def record_success(self) -> None:
        if cache.get(self._opened_key) is not None or cache.get(self._failures_key):
            cache.delete_many([self._failures_key, self._opened_key, self._trial_key])

    def record_failure(self) -> None:
        cache.add(self._failures_key, 0, timeout=86400)
        try:
            failures = cache.incr(self._failures_key)
        except ValueError:  # expired between add and incr
            cache.set(self._failures_key, 1, timeout=86400)
            failures = 1
        if failures >= self.threshold or self.state == "half_open":
            cache.set(self._opened_key, self.clock(), timeout=None)
            cache.delete(self._trial_key)
            if failures == self.threshold:
                logger.warning("Circuit breaker %s opened after %d failures", self.name, failures)


class GatewayHttpClient:
    """An HTTP client for one gateway, with timeouts, retries, a circuit breaker and a call log.

    :param gateway_id: Names the circuit and the log rows.
    :param base_url: Prefixed to relative paths.
    :param headers: Sent with every request (e.g. ``Authorization``; never logged).
    :param timeout: Seconds per attempt (default ``HTTP_TIMEOUT``).
    :param retries: Extra attempts after the first (default ``HTTP_RETRIES``).
    :param backoff: First delay in seconds, doubled at each retry (default ``HTTP_BACKOFF``).
    :param redact_keys: More JSON keys to keep out of the call log (``"msisdn"``, ...).
    :param transport: What sends a request (default :func:`urllib_transport`).
    :param sleep: What waits between attempts (tests pass a recorder).
    """

    def __init__(
        self,
        gateway_id: str,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        redact_keys: Iterable[str] = (),
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.gateway_id = gateway_id
        self.base_url = base_url
        self.headers = dict(headers or {})
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self.redact_keys = tuple(redact_keys)
        self.transport: Transport = transport or urllib_transport
        self.sleep = sleep
        self.breaker = breaker or CircuitBreaker(gateway_id)

    @property
    def timeout(self) -> float:
        return self._timeout if self._timeout is not None else kit_settings.HTTP_TIMEOUT

    @property
    def retries(self) -> int:
        return self._retries if self._retries is not None else kit_settings.HTTP_RETRIES

    @property
    def backoff(self) -> float:
        return self._backoff if self._backoff is not None else kit_settings.HTTP_BACKOFF

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        retry: bool | None = None,
    ) -> HttpResponse:
        """Send a request and return the answer.

        :param json: A body to send as JSON (or ``data`` for raw bytes).
        :param idempotency_key: Sent as ``Idempotency-Key``; makes ``POST`` retryable.
        :param retry: Force retries on or off (default: idempotent methods, or a key given).
        :returns: The first answer that is not a retryable failure.
        :raises GatewayUnavailableError: when the circuit is open.
        :raises GatewayError: when every attempt timed out, failed, or answered 5xx/429.
        """
        method = method.upper()
        url = self._url(path, params)
        body = data
        all_headers = {"Accept": "application/json", **self.headers, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), default=str).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        if retry is None:
            retry = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        attempts = 1 + (max(self.retries, 0) if retry else 0)
        logged_body = _redact_body(body, self.redact_keys)
        logged_url = redact_url(url, self.redact_keys)
        last_error = ""
        for attempt in range(1, attempts + 1):
            if not self.breaker.allow():
                self._log(
                    method,
                    logged_url,
                    attempt,
                    None,
                    "circuit_open",
                    0,
                    logged_body,
                    "",
                    "circuit open",
                )
                raise GatewayUnavailableError(gateway=self.gateway_id)
            started = time.monotonic()
            response: HttpResponse | None = None
            try:
                response = self.transport(method, url, all_headers, body, self.timeout)
            except TransportTimeoutError as exc:
                outcome = "timeout"
                last_error = redact_text(f"timed out: {exc}", url, self.redact_keys)
            except TransportError as exc:
                outcome = "network_error"
                last_error = redact_text(str(exc) or exc.__class__.__name__, url, self.redact_keys)
            duration = int((time.monotonic() - started) * 1000)
            if response is not None:
                retryable = response.status_code >= 500 or response.status_code == 429
                outcome = "http_error" if response.status_code >= 400 else "ok"
                self._log(
                    method,
                    logged_url,
                    attempt,
                    response.status_code,
                    outcome,
                    duration,
                    logged_body,
                    _redact_body(response.content, self.redact_keys),
                    "",
                )
                if response.status_code >= 500:
                    self.breaker.record_failure()
                else:
                    self.breaker.record_success()
                if not retryable:
                    return response
                last_error = f"HTTP {response.status_code}"
            else:
                self._log(
                    method,
                    logged_url,
                    attempt,
                    None,
                    outcome,
                    duration,
                    logged_body,
                    "",
                    last_error,
                )
                self.breaker.record_failure()
            if attempt < attempts:
                self.sleep(self._delay(attempt, response))
        raise GatewayError(f"The payment provider failed: {last_error}.", gateway=self.gateway_id)

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        url = path if "://" in path else self.base_url.rstrip("/") + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def _delay(self, attempt: int, response: HttpResponse | None) -> float:
        delay = self.backoff * (2 ** (attempt - 1))
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after and re.fullmatch(r"\d+(\.\d+)?", retry_after.strip()):
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
        return delay

    def _log(
        self,
        method: str,
        url: str,
        attempt: int,
        status_code: int | None,
        outcome: str,
        duration_ms: int,
        request_body: str,
        response_body: str,
        error: str,
    ) -> None:
        from ecommerce_kit.payments.models import GatewayCallLog

        try:
            with transaction.atomic():
                GatewayCallLog.objects.create(
                    gateway=self.gateway_id,
                    method=method,
                    url=url[:2000],
                    attempt=attempt,
                    status_code=status_code,
                    outcome=outcome,
                    duration_ms=duration_ms,
                    request_body=request_body,
                    response_body=response_body,
                    error=error[:2000],
                )
        except DatabaseError:  # the log must never break a payment
            logger.exception("Could not log a call to gateway %s", self.gateway_id)
