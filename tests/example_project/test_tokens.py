from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234-secret"  # UserFactory's password


def obtain(api_client, username, password=PASSWORD):
    return api_client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def refresh(api_client, token):
    return api_client.post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def test_token_returns_access_and_refresh_for_valid_credentials(api_client):
    user = UserFactory(username="rita")

    response = obtain(api_client, "rita")

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert str(AccessToken(response.json()["access"])["user_id"]) == str(user.pk)


@pytest.mark.parametrize("username, password", [("rita", "wrong"), ("nobody", PASSWORD)])
def test_token_rejects_bad_credentials_with_401(api_client, username, password):
    UserFactory(username="rita")

    response = obtain(api_client, username, password)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "authentication_failed"
    assert body["status_code"] == 401
    assert isinstance(body["error"], str) and body["error"]
    assert "WWW-Authenticate" in response.headers


def test_token_rejects_inactive_user(api_client):
    UserFactory(username="gone", is_active=False)

    assert obtain(api_client, "gone").status_code == 401


def test_token_refresh_rotates_and_blacklists_the_old_token(api_client):
    UserFactory(username="rita")
    first = obtain(api_client, "rita").json()["refresh"]

    response = refresh(api_client, first)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    second = response.json()["refresh"]
    assert second != first
    reused = refresh(api_client, first)
    assert reused.status_code == 401
    assert reused.json()["code"] == "authentication_failed"
    assert isinstance(reused.json()["error"], str)
    assert refresh(api_client, second).status_code == 200


def test_token_refresh_rejects_garbage_with_401(api_client):
    response = refresh(api_client, "not-a-token")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_refresh_requires_the_field(api_client):
    response = api_client.post("/api/v1/auth/token/refresh/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["refresh"]


def test_access_token_authenticates_requests(api_client):
    user = UserFactory(username="rita")
    access = obtain(api_client, "rita").json()["access"]
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}"))

    authenticated, token = JWTAuthentication().authenticate(request)

    assert authenticated == user
    assert token["token_type"] == "access"
