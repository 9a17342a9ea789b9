from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ecommerce_kit.catalog.models import Product, ProductRating
from ecommerce_kit.reviews.models import Review
from ecommerce_kit.reviews.selectors import RatingValues, compute_rating
from tests.factories import ProductFactory
from tests.reviews.factories import make_buyer


@pytest.fixture
def product(db: Any) -> Product:
    return ProductFactory()


@pytest.fixture
def buyer(product: Product) -> Any:
    """A user with a delivered order of ``product``."""
    return make_buyer(product)


def stored_rating(product: Product | int) -> RatingValues:
    """The values of the product's rating row as stored (all zero without a row)."""
    pk = product if isinstance(product, int) else product.pk
    return RatingValues.of_row(ProductRating.objects.filter(pk=pk).first())


def assert_rating_exact(product: Product | int) -> RatingValues:
    """Assert the stored rating equals a recomputation from the public reviews."""
    pk = product if isinstance(product, int) else product.pk
    stored = stored_rating(pk)
    public = list(
        Review.objects.filter(product_id=pk, is_public=True).values_list("rating", flat=True)
    )
    distribution = tuple(public.count(n) for n in range(1, 6))
    expected = RatingValues.from_distribution(distribution)  # type: ignore[arg-type]
    assert stored == expected, (stored, expected)
    # The average, computed independently: integers only, rounded half up to hundredths.
    if public:
        hundredths = (sum(public) * 200 + len(public)) // (2 * len(public))
        assert stored.average == Decimal(hundredths) / 100
    else:
        assert stored.average is None
    assert compute_rating(pk) == expected
    return stored
