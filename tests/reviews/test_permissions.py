"""Who may read, edit and delete a review ("not yours = 404 unless you may see it")."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.reviews.models import Review
from tests.factories import StaffFactory, UserFactory
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_buyer, make_review

pytestmark = pytest.mark.django_db


def _url(review: Review) -> str:
    return f"/api/v1/reviews/{review.pk}/"


def test_author_edits_review_and_rating_follows(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=2)
    before = review.updated_at
    response = client_for(review.user).patch(
        _url(review),
        {"rating": 5, "title": "Grew on me", "body": "Better after a week."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rating"], body["title"], body["body"]) == (
        5,
        "Grew on me",
        "Better after a week.",
    )
    assert body["id"] == review.pk
    review.refresh_from_db()
    assert review.rating == 5
    assert review.updated_at > before
    assert stored_rating(product).distribution == (0, 0, 0, 0, 1)
    assert assert_rating_exact(product).average is not None


def test_author_edits_only_the_title(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=3, title="Old", body="Kept")
    response = client_for(review.user).patch(_url(review), {"title": "New"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["body"], response.json()["rating"]) == (
        "New",
        "Kept",
        3,
    )
    assert_rating_exact(product)


def test_other_user_cannot_edit_public_review(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=2)
    for user in (UserFactory(), make_buyer(product), StaffFactory()):
        response = client_for(user).patch(_url(review), {"rating": 5}, format="json")
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"
    review.refresh_from_db()
    assert review.rating == 2
    assert_rating_exact(product)


def test_other_user_cannot_delete_public_review(client_for: Any, product: Any) -> None:
    review = make_review(product)
    response = client_for(UserFactory()).delete(_url(review))
    assert response.status_code == 403
    assert Review.objects.filter(pk=review.pk).exists()


def test_hidden_review_of_someone_else_is_404(client_for: Any, product: Any) -> None:
    review = make_review(product, is_public=False)
    other = client_for(UserFactory())
    assert other.get(_url(review)).status_code == 404
    assert other.patch(_url(review), {"rating": 1}, format="json").status_code == 404
    assert other.delete(_url(review)).status_code == 404
    assert client_for(None).get(_url(review)).status_code == 404
    assert Review.objects.filter(pk=review.pk).exists()


def test_author_sees_and_edits_own_hidden_review(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=4, is_public=False)
    client = client_for(review.user)
    assert client.get(_url(review)).status_code == 200
    assert client.patch(_url(review), {"rating": 1}, format="json").status_code == 200
    assert_rating_exact(product)
    assert stored_rating(product).count == 0


def test_author_deletes_review(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=5)
    make_review(product, rating=1)
    response = client_for(review.user).delete(_url(review))
    assert response.status_code == 204
    assert not Review.objects.filter(pk=review.pk).exists()
    assert stored_rating(product).distribution == (1, 0, 0, 0, 0)
    assert_rating_exact(product)


def test_staff_deletes_any_review(client_for: Any, product: Any) -> None:
    public = make_review(product, rating=5)
    hidden = make_review(product, rating=2, is_public=False)
    staff = client_for(StaffFactory())
    assert staff.get(_url(hidden)).status_code == 200
    assert staff.delete(_url(public)).status_code == 204
    assert staff.delete(_url(hidden)).status_code == 204
    assert not Review.objects.exists()
    assert stored_rating(product).count == 0


def test_anonymous_cannot_edit_or_delete(client_for: Any, product: Any) -> None:
    review = make_review(product)
    anonymous = client_for(None)
    assert anonymous.get(_url(review)).status_code == 200
    for response in (
        anonymous.patch(_url(review), {"rating": 1}, format="json"),
        anonymous.delete(_url(review)),
    ):
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"
    assert Review.objects.get(pk=review.pk).rating == review.rating


def test_unknown_review_is_404(client_for: Any, user: Any) -> None:
    client = client_for(user)
    assert client.get("/api/v1/reviews/987654/").status_code == 404
    assert client.patch("/api/v1/reviews/987654/", {"rating": 1}, format="json").status_code == 404
    response = client.delete("/api/v1/reviews/987654/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_patch_ignores_read_only_fields(client_for: Any, product: Any) -> None:
    review = make_review(product, rating=3)
    other_product_id = product.pk + 1000
    response = client_for(review.user).patch(
        _url(review),
        {"verified_purchase": False, "product": other_product_id, "user": 1},
        format="json",
    )
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.verified_purchase is True
    assert review.product_id == product.pk
