"""Moderation in the Django admin: search, filters, bulk hide/show, edits and deletes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ecommerce_kit.reviews.models import Review
from tests.factories import ProductFactory
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_buyer, make_review

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/ecommerce_kit_reviews/review/"


@pytest.fixture
def admin_client() -> Client:
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-12345")
    client = Client()
    client.force_login(admin)
    return client


def _ids(response: Any) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_changelist_search_and_filters(admin_client: Client, product: Any) -> None:
    teapot = ProductFactory(name="Blue teapot")
    by_name = make_review(
        teapot, user=make_buyer(teapot, username="marta"), rating=2, title="Leaks"
    )
    other = make_review(product, rating=5, title="Lovely teapot")
    hidden = make_review(product, rating=1, is_public=False)
    assert _ids(admin_client.get(CHANGELIST)) == {by_name.pk, other.pk, hidden.pk}
    assert _ids(admin_client.get(CHANGELIST, {"q": "blue teapot"})) == {by_name.pk}
    assert _ids(admin_client.get(CHANGELIST, {"q": "marta"})) == {by_name.pk}
    assert _ids(admin_client.get(CHANGELIST, {"q": "lovely"})) == {other.pk}
    assert _ids(admin_client.get(CHANGELIST, {"is_public__exact": "0"})) == {hidden.pk}
    assert _ids(admin_client.get(CHANGELIST, {"rating": "5"})) == {other.pk}
    assert _ids(admin_client.get(CHANGELIST, {"verified_purchase__exact": "0"})) == set()


def test_bulk_hide_and_show_move_ratings(admin_client: Client, product: Any) -> None:
    reviews = [make_review(product, rating=s) for s in (5, 4, 1)]
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "hide_reviews",
            "_selected_action": [r.pk for r in reviews[:2]],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "2 reviews hidden." in response.content.decode()
    assert stored_rating(product).distribution == (1, 0, 0, 0, 0)
    admin_client.post(CHANGELIST, {"action": "show_reviews", "_selected_action": [reviews[0].pk]})
    assert stored_rating(product).distribution == (1, 0, 0, 0, 1)
    assert_rating_exact(product)


def test_change_form_visibility_goes_through_the_service(
    admin_client: Client, product: Any
) -> None:
    review = make_review(product, rating=3, title="Fine", body="Ok")
    url = f"{CHANGELIST}{review.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"title": "Fine (edited)", "body": "Ok"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.title, review.is_public) == ("Fine (edited)", False)  # checkbox left out
    assert stored_rating(product).count == 0
    admin_client.post(url, {"title": "Fine (edited)", "body": "Ok", "is_public": "on"})
    assert stored_rating(product).count == 1
    assert_rating_exact(product)


def test_admin_delete_keeps_rating_exact(admin_client: Client, product: Any) -> None:
    reviews = [make_review(product, rating=s) for s in (5, 2)]
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "_selected_action": [reviews[0].pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Review.objects.filter(pk=reviews[0].pk).exists()
    assert stored_rating(product).distribution == (0, 1, 0, 0, 0)
    assert_rating_exact(product)


def test_admin_cannot_add_reviews(admin_client: Client) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
