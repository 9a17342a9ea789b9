from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from ecommerce_kit.catalog.models import ProductRating, Store
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-secret-1")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["category", "store", "product", "productrating"])
@pytest.mark.parametrize("query", ["", "?q=caneca", "?is_active__exact=1"])
def test_changelists_render(admin_client: Client, model: str, query: str) -> None:
    group = ProductFactory(name="Caneca")
    VariantFactory(parent=group)
    ProductRating.objects.create(product=group)
    if query.startswith("?is_active") and model == "productrating":
        query = ""
    response = admin_client.get(reverse(f"admin:ecommerce_kit_catalog_{model}_changelist") + query)
    assert response.status_code == 200


def test_store_search_by_owner_username(admin_client: Client) -> None:
    store = StoreFactory(name="Loja Sol")
    StoreFactory(name="Loja Lua")
    url = reverse("admin:ecommerce_kit_catalog_store_changelist")
    response = admin_client.get(url, {"q": store.owner.username})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [store]


def test_store_filters_by_approval(admin_client: Client) -> None:
    pending = StoreFactory(is_approved=False, approved_at=None)
    StoreFactory()
    url = reverse("admin:ecommerce_kit_catalog_store_changelist")
    response = admin_client.get(url, {"is_approved__exact": "0"})
    assert list(response.context["cl"].result_list) == [pending]


def test_approve_action_uses_the_service(admin_client: Client) -> None:
    pending = [StoreFactory(is_approved=False, approved_at=None) for _ in range(2)]
    already = StoreFactory()
    approved_at = already.approved_at
    url = reverse("admin:ecommerce_kit_catalog_store_changelist")
    response = admin_client.post(
        url,
        {
            "action": "approve_selected",
            "_selected_action": [s.pk for s in [*pending, already]],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "2 stores approved." in response.content.decode()
    root = get_user_model().objects.get(username="root")
    for store in pending:
        store.refresh_from_db()
        assert store.is_approved and store.approved_by == root and store.approved_at
    already.refresh_from_db()
    assert already.approved_at == approved_at


def test_product_change_page_lists_variants(admin_client: Client) -> None:
    group = ProductFactory()
    variant = VariantFactory(parent=group, name="Tamanho M")
    response = admin_client.get(
        reverse("admin:ecommerce_kit_catalog_product_change", args=[group.pk])
    )
    assert response.status_code == 200
    assert "Tamanho M" in response.content.decode()
    assert variant.slug in response.content.decode()


def test_category_add_page_prepopulates_the_slug(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:ecommerce_kit_catalog_category_add"))
    assert response.status_code == 200
    assert "prepopulated" in response.content.decode()


def test_category_autocomplete_answers(admin_client: Client) -> None:
    CategoryFactory(name="Cozinha")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "coz",
            "app_label": "ecommerce_kit_catalog",
            "model_name": "product",
            "field_name": "category",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Cozinha"]


def test_product_rating_is_read_only(admin_client: Client) -> None:
    rating = ProductRating.objects.create(product=ProductFactory())
    assert (
        admin_client.get(reverse("admin:ecommerce_kit_catalog_productrating_add")).status_code
        == 403
    )
    url = reverse("admin:ecommerce_kit_catalog_productrating_change", args=[rating.pk])
    response: Any = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert admin_client.post(url, {"count": 5}).status_code == 403
    assert Store.objects.count() == 1
