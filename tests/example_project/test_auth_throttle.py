from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_auth_endpoints_are_throttled_per_address(api_client, settings):
    settings.ACCOUNTS_AUTH_THROTTLE_RATE = "2/min"
    body = {"username": "nobody", "password": "wrong"}

    statuses = [
        api_client.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)
    ]

    assert statuses == [401, 401, 429]
    response = api_client.post("/api/v1/auth/register/", {}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response.headers["Retry-After"]) > 0
