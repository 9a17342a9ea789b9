from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection
from django.urls import reverse


@pytest.mark.django_db
def test_health_is_ok_with_a_database(api_client: Any) -> None:
    response = api_client.get(reverse("ecommerce_kit:health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_unreachable(
    api_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}
    assert "unreachable" in caplog.text


@pytest.mark.django_db
def test_health_needs_no_authentication_and_ignores_bad_credentials(api_client: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Basic bm9ib2R5Ondyb25n")  # nobody:wrong
    assert api_client.get("/api/v1/health/").status_code == 200


@pytest.mark.django_db
def test_health_answers_get_only(api_client: Any) -> None:
    response = api_client.post("/api/v1/health/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
