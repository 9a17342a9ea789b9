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


def test_auth_throttle_ignores_a_spoofed_x_forwarded_for(api_client, settings):
    # Password guessing on auth/token/ escaped the limit with a new X-Forwarded-For per request.
    settings.ACCOUNTS_AUTH_THROTTLE_RATE = "2/min"
    body = {"username": "nobody", "password": "wrong"}

    statuses = [
        api_client.post(
            "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_settings_read_the_number_of_trusted_proxies():
    from tests.example_project.conftest import load_example_settings

    assert "NUM_PROXIES" not in load_example_settings({"DJANGO_DEBUG": "1"})["REST_FRAMEWORK"]
    behind_one = load_example_settings({"DJANGO_DEBUG": "1", "DJANGO_NUM_PROXIES": "1"})
    assert behind_one["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
