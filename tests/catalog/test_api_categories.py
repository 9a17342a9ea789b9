from __future__ import annotations

from typing import Any

import pytest

from tests.catalog.helpers import categories_url, category_url
from tests.factories import CategoryFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_category_list_shows_active_categories_with_parent_ids(api_client: Any) -> None:
    root = CategoryFactory(name="Casa", slug="casa", description="Tudo para a casa")
    child = CategoryFactory(name="Cozinha", slug="cozinha", parent=root)
    CategoryFactory(name="Arquivo", slug="arquivo", is_active=False)
    body = api_client.get(categories_url()).json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {
            "id": root.pk,
            "slug": "casa",
            "name": "Casa",
            "description": "Tudo para a casa",
            "parent": None,
        },
        {
            "id": child.pk,
            "slug": "cozinha",
            "name": "Cozinha",
            "description": "",
            "parent": root.pk,
        },
    ]


def test_category_detail(api_client: Any) -> None:
    category = CategoryFactory(slug="casa")
    response = api_client.get(category_url(category.pk))
    assert response.status_code == 200 and response.json()["slug"] == "casa"


def test_inactive_category_detail_is_404(api_client: Any) -> None:
    category = CategoryFactory(is_active=False)
    response = api_client.get(category_url(category.pk))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_categories_are_read_only_over_the_api(client_for: Any, method: str) -> None:
    category = CategoryFactory()
    client = client_for(StaffFactory())
    url = categories_url() if method == "post" else category_url(category.pk)
    response = getattr(client, method)(url, {"name": "x"})
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
