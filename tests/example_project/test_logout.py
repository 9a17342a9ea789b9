from __future__ import annotations

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tokens(api_client):
    UserFactory(username="rita")
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "rita", "password": "pass-1234-secret"}, format="json"
    )
    return response.json()


def test_logout_blacklists_the_refresh_token_with_205(api_client):
    refresh = tokens(api_client)["refresh"]

    response = api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 205
    assert BlacklistedToken.objects.count() == 1
    again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_logout_twice_is_400(api_client):
    refresh = tokens(api_client)["refresh"]
    api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")

    response = api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["refresh"]


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "garbage"}])
def test_logout_rejects_bad_token_with_400(api_client, body):
    response = api_client.post("/api/v1/auth/logout/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["refresh"]
    assert BlacklistedToken.objects.count() == 0


def test_logout_rejects_an_access_token(api_client):
    access = tokens(api_client)["access"]

    response = api_client.post("/api/v1/auth/logout/", {"refresh": access}, format="json")

    assert response.status_code == 400
    assert BlacklistedToken.objects.count() == 0
