"""Idempotency-Key on checkout/ and pay/: replay, reuse, invalid header."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.orders.models import IdempotencyKey, Order
from ecommerce_kit.payments.models import Payment
from tests.factories import ProductFactory
from tests.orders.factories import checkout_body, make_cart, make_order

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkout/"


def test_same_key_replays_first_answer_and_does_nothing_again(client_for: Any, user: Any) -> None:
    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 2)])
    client = client_for(user)

    first = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    make_cart(user, [(product, 2)])  # the buyer fills the cart again meanwhile
    second = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert Order.objects.get().idempotency_key == "key-1"
    product.refresh_from_db()
    assert product.stock_quantity == 3


def test_same_key_replays_an_error_answer(client_for: Any, user: Any) -> None:
    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 1)])
    body = checkout_body(payment_data={"token": "tok_decline"})
    client = client_for(user)
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="declined")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="declined")
    assert first.status_code == second.status_code == 402
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_same_key_with_other_body_is_422(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    client = client_for(user)
    assert (
        client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 201
    )
    other = checkout_body(
        shipping_address={"full_name": "B", "line1": "x", "city": "y", "country": "AO"}
    )
    response = client.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.data["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_same_key_from_another_user_is_independent(client_for: Any, user: Any, staff: Any) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    make_cart(staff, [(ProductFactory(), 1)])
    assert (
        client_for(user)
        .post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
        .status_code
        == 201
    )
    assert (
        client_for(staff)
        .post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="shared")
        .status_code
        == 201
    )
    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["k" * 256, ""])
def test_invalid_key_header_is_400(client_for: Any, user: Any, key: str) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    response = client_for(user).post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.data["code"] == "invalid_idempotency_key"
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_key_of_255_characters_is_accepted(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    response = client_for(user).post(
        URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 255
    )
    assert response.status_code == 201


def test_unexpected_error_releases_the_key(
    client_for: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    client = client_for(user)
    client.raise_request_exception = True

    def boom(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr("ecommerce_kit.orders.services.place_order", boom)
    with pytest.raises(RuntimeError):
        client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    response = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert response.status_code == 201


def test_pay_honours_idempotency_key(client_for: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)])
    client = client_for(order.buyer)
    url = f"/api/v1/orders/{order.number}/pay/"
    body = {"payment_method": "dummy", "payment_data": {"token": "tok_pending"}}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    second = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert order.payments.count() == 1
    reuse = client.post(
        url,
        {**body, "payment_data": {"token": "tok_success"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-1",
    )
    assert reuse.status_code == 422


def test_key_used_for_checkout_cannot_be_reused_for_pay(client_for: Any, user: Any) -> None:
    make_cart(user, [(ProductFactory(), 1)])
    client = client_for(user)
    number = client.post(
        URL,
        checkout_body(payment_data={"token": "tok_pending"}),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    ).data["order"]["number"]
    response = client.post(
        f"/api/v1/orders/{number}/pay/",
        {"payment_method": "dummy"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 422
    assert response.data["code"] == "idempotency_key_reused"


def _abandon(key: str, *, minutes: int = 6) -> None:
    """Make the claim of ``key`` look like that of a request that died before answering,
    ``minutes`` ago."""
    from datetime import timedelta

    from django.utils import timezone

    IdempotencyKey.objects.filter(key=key).update(
        status_code=None,
        response_body=None,
        completed_at=None,
        created_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_a_checkout_that_died_after_placing_its_order_is_answered_with_that_order(
    client_for: Any, user: Any
) -> None:
    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 2)])
    client = client_for(user)
    placed = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="killed")
    assert placed.status_code == 201
    _abandon("killed")  # the process died between its commit and storing the answer

    retry = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="killed")

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["order"]["number"] == placed.json()["order"]["number"]
    assert retry.json()["payment"]["id"] == placed.json()["payment"]["id"]
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 3
    # The recovered answer is now the key's answer.
    again = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="killed")
    assert again.json() == retry.json()
    assert IdempotencyKey.objects.get(key="killed").status_code == 201


def test_a_checkout_that_died_before_placing_anything_is_done_by_the_retry(
    client_for: Any, user: Any
) -> None:
    from ecommerce_kit.orders import idempotency

    product = ProductFactory(stock_quantity=5)
    make_cart(user, [(product, 1)])
    idempotency.claim_key(
        user=user,
        key="lost",
        fingerprint=idempotency.request_fingerprint(scope="checkout", payload=checkout_body()),
    )
    _abandon("lost")

    retry = client_for(user).post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="lost")

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert Order.objects.get().idempotency_key == "lost"
    assert IdempotencyKey.objects.get(key="lost").status_code == 201


def test_a_claim_within_its_lease_is_still_in_progress(
    client_for: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecommerce_kit.orders import idempotency

    make_cart(user, [(ProductFactory(), 1)])
    client = client_for(user)
    assert (
        client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="slow").status_code
        == 201
    )
    _abandon("slow", minutes=4)  # younger than IDEMPOTENCY_KEY_LEASE (5 minutes)
    monkeypatch.setattr(idempotency, "WAIT_TIMEOUT", 0.1)

    response = client.post(URL, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY="slow")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert IdempotencyKey.objects.get(key="slow").status_code is None
