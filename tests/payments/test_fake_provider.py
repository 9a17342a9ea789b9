"""``ecommerce_kit.testing.provider.FakeProvider``: a provider's API in memory, with its
idempotency keys and its bad days."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.payments.http import HttpResponse, TransportTimeoutError
from ecommerce_kit.testing.provider import FakeProvider, ProviderRequest

API = "https://api.fake.test/v1"


class Charges(FakeProvider):
    api_url = API

    def __init__(self) -> None:
        super().__init__()
        self.made: list[Any] = []

    def authorize(self, headers: Any) -> HttpResponse | None:
        return None if headers.get("Authorization") == "Bearer ok" else self.answer(401, {})

    def handle(self, method: str, path: str, payload: Any) -> HttpResponse:
        if (method, path) == ("GET", "/ping"):
            return self.answer(200, {"pong": True})
        self.made.append(payload)
        return self.answer(201, {"id": self.new_id("ch"), "path": path})


def call(fake: FakeProvider, key: str | None, body: bytes = b'{"amount": "1.00"}') -> Any:
    headers = {"Authorization": "Bearer ok"} | ({"Idempotency-Key": key} if key else {})
    return fake("POST", f"{API}/charges", headers, body, 5.0)


def test_a_repeated_key_gets_the_first_answer_and_nothing_is_done_twice() -> None:
    fake = Charges()
    first, again = call(fake, "k1"), call(fake, "k1")
    assert first == again and first.json() == {"id": "ch_1", "path": "/charges"}
    assert fake.made == [{"amount": "1.00"}] and len(fake.requests) == 2
    assert fake.requests[0] == ProviderRequest(
        "POST",
        "/charges",
        {"Authorization": "Bearer ok", "Idempotency-Key": "k1"},
        {"amount": "1.00"},
    )
    assert call(fake, "k2").json()["id"] == "ch_2"


def test_a_key_reused_for_another_request_is_refused() -> None:
    fake = Charges()
    call(fake, "k1")
    assert call(fake, "k1", b'{"amount": "2.00"}').status_code == 422
    assert len(fake.made) == 1


def test_writes_need_a_key_reads_do_not() -> None:
    fake = Charges()
    assert call(fake, None).status_code == 400 and fake.made == []
    answer = fake("GET", f"{API}/ping", {"Authorization": "Bearer ok"}, None, 5.0)
    assert answer.json() == {"pong": True}


def test_authorize_refuses_before_anything_is_done() -> None:
    fake = Charges()
    answer = fake("POST", f"{API}/charges", {"Idempotency-Key": "k"}, b"{}", 5.0)
    assert answer.status_code == 401 and fake.made == []


def test_fail_next_answers_5xx_without_acting_and_the_key_still_works() -> None:
    fake = Charges()
    fake.fail_next(2, status=502)
    assert [call(fake, "k").status_code for _ in range(3)] == [502, 502, 201]
    assert len(fake.made) == 1


def test_time_out_next_before_or_after_acting() -> None:
    fake = Charges()
    fake.time_out_next(1)
    with pytest.raises(TransportTimeoutError):
        call(fake, "k1")
    assert fake.made == []
    fake.time_out_next(1, after_acting=True)
    with pytest.raises(TransportTimeoutError):
        call(fake, "k2")
    assert len(fake.made) == 1
    assert call(fake, "k2").json()["id"] == "ch_1"  # the answer that was lost
    assert len(fake.made) == 1


def test_handle_must_be_written() -> None:
    with pytest.raises(NotImplementedError):
        FakeProvider()("POST", "/x", {"Idempotency-Key": "k"}, b"{}", 1.0)
