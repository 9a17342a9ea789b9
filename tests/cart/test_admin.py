"""The cart admin: lines inline, search by owner and token, filter by owner."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from ecommerce_kit.cart.admin import CartAdmin
from ecommerce_kit.cart.models import Cart
from tests.cart.factories import CartFactory, CartItemFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:ecommerce_kit_cart_cart_changelist"


@pytest.fixture
def admin_client(db) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def carts(db):  # noqa: ANN001, ANN201
    alice = UserFactory(username="alice", email="alice@shop.example")
    return {
        "alice": CartItemFactory(cart=CartFactory(user=alice), quantity=2).cart,
        "bob": CartFactory(user=UserFactory(username="bob", email="bob@shop.example")),
        "anon": CartFactory(),
    }


def listed(response) -> set[int]:  # noqa: ANN001
    return {obj.pk for obj in response.context["cl"].result_list}


def test_cart_admin_is_registered():
    assert isinstance(admin.site._registry[Cart], CartAdmin)


def test_changelist_lists_carts(admin_client, carts):
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert listed(response) == {c.pk for c in carts.values()}


@pytest.mark.parametrize(("query", "expected"), [("alice", "alice"), ("bob@shop", "bob")])
def test_changelist_search_by_user(admin_client, carts, query, expected):
    response = admin_client.get(reverse(CHANGELIST), {"q": query})
    assert listed(response) == {carts[expected].pk}


def test_changelist_search_by_token(admin_client, carts):
    response = admin_client.get(reverse(CHANGELIST), {"q": carts["anon"].token})
    assert listed(response) == {carts["anon"].pk}


@pytest.mark.parametrize(
    ("value", "expected"), [("anonymous", {"anon"}), ("owned", {"alice", "bob"})]
)
def test_changelist_filter_by_owner(admin_client, carts, value, expected):
    response = admin_client.get(reverse(CHANGELIST), {"owner": value})
    assert listed(response) == {carts[name].pk for name in expected}


def test_change_page_shows_lines_and_read_only_token(admin_client, carts):
    cart = carts["alice"]
    url = reverse("admin:ecommerce_kit_cart_cart_change", args=[cart.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert cart.token in content
    assert 'name="token"' not in content  # shown, not editable
    assert response.context["inline_admin_formsets"][0].formset.queryset.count() == 1
