from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ecommerce_kit.wishlist.models import WishlistItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_wishlist_admin_searches_items(product: Any, user: Any) -> None:
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-12345")
    client = Client()
    client.force_login(admin)
    item = WishlistItem.objects.create(user=user, product=product)
    WishlistItem.objects.create(user=UserFactory(), product=product)
    url = "/admin/ecommerce_kit_wishlist/wishlistitem/"
    response = client.get(url, {"q": user.username})
    assert response.status_code == 200
    assert [obj.pk for obj in response.context["cl"].result_list] == [item.pk]
    assert client.get(f"{url}{item.pk}/change/").status_code == 200
