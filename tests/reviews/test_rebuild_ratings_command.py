"""``manage.py rebuild_ratings``: finds, reports and fixes ratings that drifted from reviews."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ecommerce_kit.catalog.models import ProductRating
from ecommerce_kit.reviews.management.commands.rebuild_ratings import Command
from ecommerce_kit.reviews.models import Review
from tests.factories import ProductFactory, UserFactory
from tests.reviews.conftest import assert_rating_exact, stored_rating
from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("rebuild_ratings", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def drifted() -> dict[str, Any]:
    """Three products whose ratings are right, and three whose ratings drifted."""
    fine = [ProductFactory() for _ in range(2)]
    for product in fine:
        make_review(product, rating=4)
    make_review(fine[0], rating=1, is_public=False)
    ProductFactory()  # no reviews, no rating row
    counted_wrong, missing_row, leftover = ProductFactory(), ProductFactory(), ProductFactory()
    make_review(counted_wrong, rating=5)
    make_review(counted_wrong, rating=2)
    ProductRating.objects.filter(pk=counted_wrong.pk).update(count=3, count_3=1, total=10)
    # A review written behind the services' back: no rating row at all.
    Review.objects.create(product=missing_row, user=UserFactory(), rating=3)
    # A review hidden with a bulk update: its rating row still counts it.
    review = make_review(leftover, rating=1)
    Review.objects.filter(pk=review.pk).update(is_public=False)
    return {"fine": fine, "drifted": [counted_wrong, missing_row, leftover]}


def test_check_reports_drift_and_changes_nothing(drifted: dict[str, Any]) -> None:
    before = {p.pk: stored_rating(p) for p in drifted["drifted"]}
    out = StringIO()
    with pytest.raises(CommandError, match="3 product rating"):
        call_command("rebuild_ratings", "--check", stdout=out)
    report = out.getvalue()
    for product in drifted["drifted"]:
        assert f"Product {product.pk}:" in report
        assert stored_rating(product) == before[product.pk]
    for product in drifted["fine"]:
        assert f"Product {product.pk}:" not in report
    assert "count=3 total=10" in report


def test_check_exits_non_zero_from_the_command_line(drifted: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        Command(stdout=StringIO(), stderr=StringIO()).run_from_argv(
            ["manage.py", "rebuild_ratings", "--check"]
        )
    assert exit_info.value.code == 1


def test_rebuild_fixes_drift_and_reports_it(drifted: dict[str, Any]) -> None:
    report = _run()
    assert "Fixed 3 drifted product rating(s)." in report
    for product in drifted["drifted"] + drifted["fine"]:
        assert_rating_exact(product)
    assert stored_rating(drifted["drifted"][0]).distribution == (0, 1, 0, 0, 1)
    assert stored_rating(drifted["drifted"][1]).distribution == (0, 0, 1, 0, 0)
    assert stored_rating(drifted["drifted"][2]).count == 0
    # Nothing left to fix: --check now passes.
    assert "Every product rating matches its reviews." in _run("--check")


def test_rebuild_with_nothing_to_fix(product: Any) -> None:
    make_review(product, rating=2)
    before = ProductRating.objects.get(pk=product.pk).updated_at
    assert "Every product rating matches its reviews." in _run()
    assert ProductRating.objects.get(pk=product.pk).updated_at == before
