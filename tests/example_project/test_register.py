from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register/"
STRONG = "kwanza-Luanda-2026"


def test_register_creates_user_and_answers_201(api_client):
    response = api_client.post(
        URL, {"username": "ana", "email": "ana@example.com", "password": STRONG}, format="json"
    )

    assert response.status_code == 201
    user = get_user_model().objects.get(username="ana")
    assert response.json() == {"id": user.pk, "username": "ana", "email": "ana@example.com"}
    assert user.check_password(STRONG)


@pytest.mark.parametrize("username", ["taken", "TAKEN"])
def test_register_rejects_taken_username(api_client, username):
    UserFactory(username="taken")

    response = api_client.post(
        URL, {"username": username, "email": "new@example.com", "password": STRONG}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["status_code"] == 400
    assert list(body["fields"]) == ["username"]
    assert get_user_model().objects.filter(email="new@example.com").count() == 0


def test_register_rejects_taken_email_case_insensitively(api_client):
    UserFactory(username="first", email="same@example.com")

    response = api_client.post(
        URL, {"username": "second", "email": "Same@Example.com", "password": STRONG}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["email"]
    assert not get_user_model().objects.filter(username="second").exists()


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "carolina1"])
def test_register_rejects_weak_password(api_client, password):
    response = api_client.post(
        URL,
        {"username": "carolina1", "email": "c@example.com", "password": password},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["password"]
    assert not get_user_model().objects.filter(username="carolina1").exists()


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"username", "email", "password"}),
        ({"username": "bad name!", "email": "x@example.com", "password": STRONG}, {"username"}),
        ({"username": "x", "email": "not-an-email", "password": STRONG}, {"email"}),
    ],
)
def test_register_rejects_invalid_fields(api_client, body, fields):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == fields
    assert get_user_model().objects.count() == 0


def test_register_ignores_staff_flags_in_body(api_client):
    response = api_client.post(
        URL,
        {
            "username": "eve",
            "email": "eve@example.com",
            "password": STRONG,
            "is_staff": True,
            "is_superuser": True,
        },
        format="json",
    )

    assert response.status_code == 201
    user = get_user_model().objects.get(username="eve")
    assert not user.is_staff and not user.is_superuser
