"""Plugins' ``review_created`` hook runs once the review's transaction has committed."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest
from django.db import transaction

from ecommerce_kit import hookimpl
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.services import create_review, set_review_visibility
from tests.reviews.conftest import assert_rating_exact, stored_rating

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[int, bool]] = []

    @hookimpl
    def review_created(self, review: Review) -> None:
        # Called once committed: no transaction is open any more.
        self.seen.append((review.pk, transaction.get_connection().in_atomic_block))


def test_hook_called_after_commit(
    isolated_plugins: pluggy.PluginManager, product: Any, buyer: Any
) -> None:
    recorder = Recorder()
    isolated_plugins.register(recorder, name="recorder")
    with transaction.atomic():
        review = create_review(user=buyer, product_id=product.pk, rating=4)
        assert recorder.seen == []
    assert recorder.seen == [(review.pk, False)]


def test_hook_called_once_per_review_through_the_api(
    isolated_plugins: pluggy.PluginManager,
    client_for: Any,
    product: Any,
    buyer: Any,
) -> None:
    recorder = Recorder()
    isolated_plugins.register(recorder, name="recorder")
    url = f"/api/v1/products/{product.pk}/reviews/"
    response = client_for(buyer).post(url, {"rating": 5}, format="json")
    assert client_for(buyer).post(url, {"rating": 5}, format="json").status_code == 409
    assert recorder.seen == [(response.json()["id"], False)]


def test_hook_not_called_when_transaction_rolls_back(
    isolated_plugins: pluggy.PluginManager,
    product: Any,
    buyer: Any,
) -> None:
    recorder = Recorder()
    isolated_plugins.register(recorder, name="recorder")
    with pytest.raises(RuntimeError), transaction.atomic():
        create_review(user=buyer, product_id=product.pk, rating=4)
        raise RuntimeError("the caller's transaction fails")
    assert recorder.seen == []
    assert not Review.objects.exists()
    assert stored_rating(product).count == 0


def test_failing_plugin_does_not_undo_review(
    isolated_plugins: pluggy.PluginManager, product: Any, buyer: Any
) -> None:
    class Broken:
        @hookimpl
        def review_created(self, review: Review) -> None:
            raise ValueError("plugin bug")

    isolated_plugins.register(Broken(), name="broken")
    review = create_review(user=buyer, product_id=product.pk, rating=3)
    assert Review.objects.filter(pk=review.pk).exists()
    assert_rating_exact(product)


def test_plugin_can_hold_reviews_for_moderation(
    isolated_plugins: pluggy.PluginManager, product: Any, buyer: Any
) -> None:
    class Moderator:
        @hookimpl
        def review_created(self, review: Review) -> None:
            set_review_visibility(review_ids=[review.pk], is_public=False)

    isolated_plugins.register(Moderator(), name="moderator")
    review = create_review(user=buyer, product_id=product.pk, rating=1)
    review.refresh_from_db()
    assert review.is_public is False
    assert stored_rating(product).count == 0
    assert_rating_exact(product)
