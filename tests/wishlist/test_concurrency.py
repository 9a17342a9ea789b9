"""Concurrent adds of one product leave one wishlist item (one 201, the rest 200)."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.wishlist.models import WishlistItem
from ecommerce_kit.wishlist.services import add_to_wishlist
from tests.reviews.concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


def test_concurrent_adds_make_one_item(user: Any, product: Any) -> None:
    results = run_concurrently(
        [lambda: add_to_wishlist(user=user, product_id=product.pk) for _ in range(10)]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(created for _item, created in results) == [False] * 9 + [True]
    assert len({item.pk for item, _created in results}) == 1
    assert WishlistItem.objects.filter(user=user, product=product).count() == 1
