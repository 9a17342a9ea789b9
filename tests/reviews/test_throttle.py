"""Review writes are throttled per user with the ``ecommerce_kit.review`` rate; reads are not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.factories import ProductFactory
from tests.reviews.factories import make_buyer

pytestmark = pytest.mark.django_db


@override_settings(ECOMMERCE_KIT={"THROTTLE_RATES": {"ecommerce_kit.review": "2/min"}})
def test_review_writes_over_the_rate_are_429(client_for: Any) -> None:
    products = [ProductFactory() for _ in range(3)]
    buyer = make_buyer(*products)
    client = client_for(buyer)
    for product in products[:2]:
        url = f"/api/v1/products/{product.pk}/reviews/"
        assert client.post(url, {"rating": 5}, format="json").status_code == 201
    response = client.post(
        f"/api/v1/products/{products[2].pk}/reviews/", {"rating": 5}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    for _ in range(3):
        assert client.get(f"/api/v1/products/{products[0].pk}/reviews/").status_code == 200
    # Another user has their own allowance.
    other = make_buyer(products[2])
    response = client_for(other).post(
        f"/api/v1/products/{products[2].pk}/reviews/", {"rating": 4}, format="json"
    )
    assert response.status_code == 201
