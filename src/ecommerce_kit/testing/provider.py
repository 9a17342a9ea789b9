"""A base for fake payment providers: a provider's API in memory, for a gateway's tests.

An instance is a transport for :class:`~ecommerce_kit.payments.http.GatewayHttpClient`
(``transport(method, url, headers, body, timeout) -> HttpResponse``). Subclass it and write
:meth:`FakeProvider.handle`, which answers one request as the provider's API would; the base
class does what every provider with idempotency keys does around it::

    class FakeAcme(FakeProvider):
        api_url = "https://api.acme.test"

        def handle(self, method, path, payload):
            if path == "/charges":
                return self.answer(201, {"id": self.new_id("ch"), "status": "succeeded"})
            return self.answer(404, {"message": "Not found."})

    monkeypatch.setattr(plugin.gateway, "transport", FakeAcme())

- every request is recorded in :attr:`~FakeProvider.requests` (also the repeated ones);
- :meth:`~FakeProvider.authorize` may refuse a request (e.g. a wrong API key);
- a ``POST`` or ``PATCH`` without an ``Idempotency-Key`` header is refused (``400``); a request
  whose key was seen before gets the first answer again, and :meth:`~FakeProvider.handle` is not
  called (nothing is done twice); a key reused for another request is refused (``422``);
- :meth:`~FakeProvider.fail_next` and :meth:`~FakeProvider.time_out_next` make the next requests
  answer ``5xx`` or time out (before or after the provider acted), as a provider on a bad day.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecommerce_kit.payments.http import HttpResponse, TransportTimeoutError

__all__ = ["FakeProvider", "ProviderRequest"]

WRITE_METHODS = frozenset({"POST", "PATCH"})


@dataclass(frozen=True)
class ProviderRequest:
    """A request that reached the fake provider (``path`` without :attr:`FakeProvider.api_url`)."""

    method: str
    path: str
    headers: Mapping[str, str]
    payload: Any


class FakeProvider:
    """A provider's API in memory; subclasses write :meth:`handle` (see the module)."""

    #: The API root the gateway is configured with; it is cut from the URLs :meth:`handle` sees.
    api_url: str = ""

    def __init__(self) -> None:
        #: Every request that reached the provider, repeated ones and failed ones included.
        self.requests: list[ProviderRequest] = []
        #: The request :meth:`handle` is answering (e.g. to echo its ``Idempotency-Key``).
        self.request: ProviderRequest | None = None
        self._answers: dict[str, tuple[tuple[str, str, Any], HttpResponse]] = {}
        self._faults: list[int | str] = []
        self._ids = itertools.count(1)

    # --- What a subclass writes -------------------------------------------------------------

    def handle(self, method: str, path: str, payload: Any) -> HttpResponse:
        """Answer a request (seen for the first time) as the provider does.

        :param path: The URL without :attr:`api_url`, e.g. ``"/charges/ch_1/refunds"``.
        :param payload: The JSON body, decoded (``None`` without a body).
        """
        raise NotImplementedError("Answer the request as the provider would.")

    def authorize(self, headers: Mapping[str, str]) -> HttpResponse | None:
        """Return an answer refusing the request (e.g. ``401``), or ``None`` to go on."""
        return None

    # --- Helpers ----------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A new provider id, ``"<prefix>_<n>"``."""
        return f"{prefix}_{next(self._ids)}"

    @staticmethod
    def answer(status: int, body: Any) -> HttpResponse:
        """A JSON answer."""
        return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())

    def fail_next(self, count: int = 1, *, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status``, doing nothing."""
        self._faults += [status] * count

    def time_out_next(self, count: int = 1, *, after_acting: bool = False) -> None:
        """Let the next ``count`` requests time out: before the provider acted on them, or after
        (the movement is made, and only the answer is lost)."""
        self._faults += ["after" if after_acting else "before"] * count

    # --- The transport ----------------------------------------------------------------------

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        payload = json.loads(body) if body else None
        path = url.removeprefix(self.api_url) if self.api_url else url
        self.request = ProviderRequest(method, path, dict(headers), payload)
        self.requests.append(self.request)
        fault = self._faults.pop(0) if self._faults else None
        if fault == "before":
            raise TransportTimeoutError("timed out (before the provider acted)")
        if isinstance(fault, int):
            return self.answer(fault, {"message": "Service unavailable."})
        answer = self._answer_once(method, path, headers, payload)
        if fault == "after":
            raise TransportTimeoutError("timed out (after the provider acted)")
        return answer

    def _answer_once(
        self, method: str, path: str, headers: Mapping[str, str], payload: Any
    ) -> HttpResponse:
        refused = self.authorize(headers)
        if refused is not None:
            return refused
        key = headers.get("Idempotency-Key")
        if not key:
            if method in WRITE_METHODS:
                return self.answer(400, {"message": "Idempotency-Key is required."})
            return self.handle(method, path, payload)
        request = (method, path, payload)
        if key in self._answers:
            first_request, first_answer = self._answers[key]
            if first_request != request:
                return self.answer(422, {"message": "Idempotency-Key reused for another request."})
            return first_answer
        answer = self.handle(method, path, payload)
        if answer.status_code < 500:
            self._answers[key] = (request, answer)
        return answer
