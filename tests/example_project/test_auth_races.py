"""Registrations and token refreshes that race: one wins, the others are refused.

The checks done before writing (is the email taken? is this refresh token blacklisted?) can be
passed by two requests at once; the database then decides.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from accounts.serializers import RegisterSerializer
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.orders.threads import run_together

PASSWORD = "pass-1234-secret"  # UserFactory's password
STRONG = "kwanza-Luanda-2026"
REGISTER = "/api/v1/auth/register/"
REFRESH = "/api/v1/auth/token/refresh/"


def _refresh_token(username: str) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    return response.json()["refresh"]


def _register(username: str, email: str) -> Any:
    return APIClient().post(
        REGISTER, {"username": username, "email": email, "password": STRONG}, format="json"
    )


@pytest.mark.django_db
def test_refresh_token_passing_the_blacklist_check_twice_is_exchanged_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two racing refreshes both pass the blacklist check before either blacklists the token.
    from rest_framework_simplejwt.tokens import BlacklistMixin

    UserFactory(username="rita")
    token = _refresh_token("rita")
    monkeypatch.setattr(BlacklistMixin, "check_blacklist", lambda self: None)

    first = APIClient().post(REFRESH, {"refresh": token}, format="json")
    second = APIClient().post(REFRESH, {"refresh": token}, format="json")

    assert first.status_code == 200, first.content
    assert second.status_code == 401, second.content
    assert second.json()["code"] == "authentication_failed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        (("ana", "ana@example.com"), ("rui", "ANA@example.com"), "email"),
        (("ana", "ana@example.com"), ("ANA", "rui@example.com"), "username"),
    ],
)
def test_registration_passing_the_duplicate_checks_is_refused_by_the_database(
    monkeypatch: pytest.MonkeyPatch,
    first: tuple[str, str],
    second: tuple[str, str],
    field: str,
) -> None:
    # Two racing registrations both pass the "already taken?" checks before either is saved.
    monkeypatch.setattr(RegisterSerializer, "validate_username", lambda self, value: value)
    monkeypatch.setattr(RegisterSerializer, "validate_email", lambda self, value: value)

    assert _register(*first).status_code == 201
    response = _register(*second)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [field]
    assert get_user_model().objects.count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refreshes_of_one_token_give_one_new_pair() -> None:
    UserFactory(username="rita")
    token = _refresh_token("rita")

    def post() -> int:
        return APIClient().post(REFRESH, {"refresh": token}, format="json").status_code

    results = run_together([post for _ in range(10)])

    assert Counter(results) == {200: 1, 401: 9}, results


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_registrations_with_one_email_create_one_user() -> None:
    results = run_together(
        [lambda i=i: _register(f"user{i}", "same@example.com").status_code for i in range(10)]
    )

    assert Counter(results) == {201: 1, 400: 9}, results
    assert get_user_model().objects.filter(email__iexact="same@example.com").count() == 1
