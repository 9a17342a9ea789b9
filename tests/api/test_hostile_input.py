"""Hostile but plausible input: ids beyond any integer column and JSON bodies that are not
objects answer a 4xx in the error shape, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ProductFactory, StaffFactory, UserFactory

#: Larger than PostgreSQL's bigint: a lookup that reached the database would fail there.
HUGE = 10**20


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/products/{HUGE}/"),
        ("get", f"/api/v1/categories/{HUGE}/"),
        ("get", f"/api/v1/products/{HUGE}/rating/"),
        ("get", f"/api/v1/products/{HUGE}/reviews/"),
        ("get", f"/api/v1/reviews/{HUGE}/"),
        ("post", f"/api/v1/fulfilments/{HUGE}/process/"),
        ("patch", f"/api/v1/cart/items/{HUGE}/"),
        ("delete", f"/api/v1/wishlist/{HUGE}/"),
    ],
)
def test_huge_id_in_the_path_is_404(client_for: Any, db: Any, method: str, path: str) -> None:
    client = client_for(StaffFactory())
    client.post("/api/v1/cart/")
    response = getattr(client, method)(path, {"quantity": 1}, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_huge_product_id_added_to_the_cart_is_product_unavailable(client_for: Any, db: Any) -> None:
    client = client_for(UserFactory())
    response = client.post("/api/v1/cart/items/", {"product": HUGE, "quantity": 1}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "product_unavailable"


@pytest.mark.parametrize("body", [[1], "text", 5], ids=["list", "string", "number"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stores/",
        "/api/v1/cart/items/",
        "/api/v1/cart/merge/",
        "/api/v1/checkout/",
        "/api/v1/wishlist/",
        "/api/v1/products/{product}/reviews/",
        "/api/v1/products/",
    ],
)
def test_json_body_that_is_not_an_object_is_a_4xx(
    client_for: Any, db: Any, path: str, body: Any
) -> None:
    product = ProductFactory()
    client = client_for(product.store.owner if path == "/api/v1/products/" else UserFactory())
    client.post("/api/v1/cart/")
    response = client.post(path.format(product=product.pk), body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert {"error", "code", "status_code"} <= set(response.json())


def test_unknown_cart_token_error_follows_accept_language(api_client: Any, db: Any) -> None:
    response = api_client.get(
        "/api/v1/cart/", HTTP_X_CART_TOKEN="nope-unknown", HTTP_ACCEPT_LANGUAGE="pt"
    )
    assert response.status_code == 404
    assert response.json()["error"] == "Carrinho não encontrado."
