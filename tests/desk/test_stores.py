"""The desk's home: signing in, opening a store, its approval state, and who gets a 403."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.catalog.models import Store
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_desk_asks_an_anonymous_visitor_to_sign_in(browser_for: Any) -> None:
    response = browser_for(None).get("/desk/fulfilments/")

    assert response.status_code == 302
    assert response["Location"] == "/shop/sign-in/?next=/desk/fulfilments/"


def test_user_without_a_store_is_offered_to_open_one(browser_for: Any) -> None:
    response = browser_for(UserFactory()).get("/desk/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/desk/store/open/"' in html
    assert '<label for="id_name">Store name</label>' in html
    assert "/static/desk/desk.css" in html


@pytest.mark.parametrize(
    "path", ["/desk/products/", "/desk/products/new/", "/desk/stock/", "/desk/fulfilments/"]
)
def test_user_without_a_store_gets_403_on_the_store_pages(browser_for: Any, path: str) -> None:
    response = browser_for(UserFactory()).get(path)

    assert response.status_code == 403
    assert "You need a store to sell products." in response.content.decode()


def test_opening_a_store_leaves_it_waiting_for_approval(browser_for: Any) -> None:
    user = UserFactory()
    client = browser_for(user)

    response = client.post("/desk/store/open/", {"name": " Loja da Ana ", "description": "Panos"})

    assert response.status_code == 302 and response["Location"] == "/desk/"
    store = Store.objects.get(owner=user)
    assert (store.name, store.description, store.is_approved) == ("Loja da Ana", "Panos", False)
    html = client.get("/desk/").content.decode()
    assert "Your store “Loja da Ana” is open. It sells once staff approve it." in html
    assert "Waiting for approval" in html
    assert 'action="/desk/store/open/"' not in html


def test_opening_a_store_without_a_name_says_so_and_creates_nothing(browser_for: Any) -> None:
    user = UserFactory()

    response = browser_for(user).post("/desk/store/open/", {"name": "   "})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Store.objects.filter(owner=user).exists()


def test_opening_a_second_store_is_refused_with_the_kits_words(browser_for: Any) -> None:
    store = StoreFactory()

    response = browser_for(store.owner).post("/desk/store/open/", {"name": "Outra"})

    assert response.status_code == 200
    assert "You already have a store." in response.content.decode()
    assert list(Store.objects.filter(owner=store.owner)) == [store]


def test_kit_errors_are_shown_in_portuguese(browser_for: Any) -> None:
    store = StoreFactory()
    client = browser_for(store.owner)

    response = client.post("/desk/store/open/", {"name": "Outra"}, HTTP_ACCEPT_LANGUAGE="pt")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Já tem uma loja." in html
    assert "Abrir uma loja" in html


def test_approved_store_shows_its_state_and_work_to_do(browser_for: Any, paid_order: Any) -> None:
    store = paid_order.fulfilments.order_by("id").first().store

    html = browser_for(store.owner).get("/desk/").content.decode()

    assert "Approved" in html and "Your store is selling." in html
    assert "1 order waiting" in html
    assert 'href="/desk/fulfilments/?status=pending"' in html
