from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser

from ecommerce_kit.catalog.models import Store
from tests.catalog.helpers import approve_url, store_url, stores_url
from tests.factories import StaffFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

STORE_KEYS = {"id", "slug", "name", "description", "is_approved", "is_active", "created_at"}


def _code(response: Any) -> str:
    return response.json()["code"]


# --- GET stores/ and stores/{slug}/ -----------------------------------------------------------


def test_store_list_shows_approved_active_stores_only(
    api_client: Any, store: Store, pending_store: Store
) -> None:
    StoreFactory(is_active=False)
    body = api_client.get(stores_url()).json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": store.pk,
            "slug": "loja-da-ana",
            "name": "Loja da Ana",
            "description": "",
            "is_approved": True,
            "is_active": True,
            "created_at": body["results"][0]["created_at"],
        }
    ]


def test_store_list_is_the_same_for_staff_and_owners(
    client_for: Any, store: Store, pending_store: Store
) -> None:
    for user in (StaffFactory(), pending_store.owner):
        assert [s["id"] for s in client_for(user).get(stores_url()).json()["results"]] == [store.pk]


def test_store_detail_of_an_approved_store_is_public(api_client: Any, store: Store) -> None:
    response = api_client.get(store_url(store.slug))
    assert response.status_code == 200
    assert set(response.json()) == STORE_KEYS


@pytest.mark.parametrize("state", [{"is_approved": False}, {"is_active": False}])
def test_store_detail_of_a_store_that_does_not_sell_is_for_owner_and_staff(
    api_client: Any,
    client_for: Any,
    buyer: AbstractBaseUser,
    other_seller: AbstractBaseUser,
    state: dict[str, bool],
) -> None:
    hidden = StoreFactory(slug="hidden", **state)
    assert api_client.get(store_url("hidden")).status_code == 404
    assert _code(api_client.get(store_url("hidden"))) == "not_found"
    assert client_for(buyer).get(store_url("hidden")).status_code == 404
    assert client_for(other_seller).get(store_url("hidden")).status_code == 404
    assert client_for(hidden.owner).get(store_url("hidden")).status_code == 200
    assert client_for(StaffFactory()).get(store_url("hidden")).status_code == 200


def test_store_detail_unknown_slug_is_404(api_client: Any) -> None:
    assert api_client.get(store_url("nope")).status_code == 404
    assert api_client.get("/api/v1/stores/n%20o/").status_code == 404


# --- POST stores/ -----------------------------------------------------------------------------


def test_create_store_anonymous_is_401(api_client: Any) -> None:
    response = api_client.post(stores_url(), {"name": "Loja"})
    assert response.status_code == 401 and _code(response) == "not_authenticated"
    assert not Store.objects.exists()


def test_create_store_is_201_and_pending(client_for: Any, buyer: AbstractBaseUser) -> None:
    response = client_for(buyer).post(
        stores_url(), {"name": "Kitanda do Zé", "description": "Frutas"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == STORE_KEYS
    assert body["slug"] == "kitanda-do-ze" and body["name"] == "Kitanda do Zé"
    assert body["description"] == "Frutas"
    assert body["is_approved"] is False and body["is_active"] is True
    store = Store.objects.get()
    assert store.owner == buyer and store.pk == body["id"]
    # Pending: the owner sees it, the public does not.
    assert client_for(buyer).get(store_url(body["slug"])).status_code == 200
    assert client_for(None).get(store_url(body["slug"])).status_code == 404


def test_create_store_ignores_is_approved_from_the_client(
    client_for: Any, buyer: AbstractBaseUser
) -> None:
    response = client_for(buyer).post(stores_url(), {"name": "Loja", "is_approved": True})
    assert response.status_code == 201
    assert not Store.objects.get().is_approved


@pytest.mark.parametrize("who", ["seller", "pending_seller"])
def test_create_second_store_is_409_store_exists(client_for: Any, request: Any, who: str) -> None:
    user = request.getfixturevalue(who)
    response = client_for(user).post(stores_url(), {"name": "Outra"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "store_exists" and body["status_code"] == 409
    assert Store.objects.filter(owner=user).count() == 1


def test_create_store_slug_is_unique(client_for: Any, store: Store) -> None:
    response = client_for(UserFactory()).post(stores_url(), {"name": "Loja da Ana"})
    assert response.json()["slug"] == "loja-da-ana-2"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "  "},
        {"name": "x" * 121},
        {"name": None},
        {"name": "ok", "description": None},
    ],
)
def test_create_store_bad_input_is_400(
    client_for: Any, buyer: AbstractBaseUser, payload: dict[str, Any]
) -> None:
    response = client_for(buyer).post(stores_url(), payload)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["fields"]
    assert not Store.objects.exists()


# --- POST stores/{slug}/approve/ --------------------------------------------------------------


def test_approve_store_anonymous_is_401(api_client: Any, pending_store: Store) -> None:
    response = api_client.post(approve_url(pending_store.slug))
    assert response.status_code == 401 and _code(response) == "not_authenticated"


@pytest.mark.parametrize("who", ["buyer", "seller", "pending_seller"])
def test_approve_store_by_non_staff_is_403(
    client_for: Any, request: Any, pending_store: Store, who: str
) -> None:
    response = client_for(request.getfixturevalue(who)).post(approve_url(pending_store.slug))
    assert response.status_code == 403 and _code(response) == "permission_denied"
    pending_store.refresh_from_db()
    assert not pending_store.is_approved


def test_approve_store_by_staff_is_200(client_for: Any, pending_store: Store) -> None:
    staff = StaffFactory()
    response = client_for(staff).post(approve_url(pending_store.slug))
    assert response.status_code == 200
    assert response.json()["is_approved"] is True
    pending_store.refresh_from_db()
    assert pending_store.is_approved and pending_store.approved_by == staff


def test_approve_store_twice_is_200_and_changes_nothing(
    client_for: Any, pending_store: Store
) -> None:
    client = client_for(StaffFactory())
    first = client.post(approve_url(pending_store.slug))
    pending_store.refresh_from_db()
    approved_at = pending_store.approved_at
    second = client_for(StaffFactory()).post(approve_url(pending_store.slug))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    pending_store.refresh_from_db()
    assert pending_store.approved_at == approved_at


def test_approve_unknown_store_is_404(client_for: Any) -> None:
    response = client_for(StaffFactory()).post(approve_url("nope"))
    assert response.status_code == 404 and _code(response) == "not_found"


def test_approved_store_can_sell(
    client_for: Any, pending_store: Store, pending_seller: AbstractBaseUser
) -> None:
    from tests.factories import CategoryFactory

    category = CategoryFactory()
    body = {
        "name": "Pão",
        "price": {"amount": "150.00", "currency": "AOA"},
        "category": category.pk,
    }
    assert client_for(pending_seller).post("/api/v1/products/", body).status_code == 403
    client_for(StaffFactory()).post(approve_url(pending_store.slug))
    assert client_for(pending_seller).post("/api/v1/products/", body).status_code == 201
