"""A product's price is validated as Money: full_clean() (what the admin's form runs) no longer
crashes on it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from moneyed import Money

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_full_clean_accepts_a_price_and_refuses_a_negative_one() -> None:
    product = ProductFactory(price=Money("10.00", "AOA"))
    product.full_clean()  # it raised MoneyComparisonError (Money compared with a Decimal)
    product.price = Money("-0.01", "AOA")
    with pytest.raises(ValidationError) as excinfo:
        product.full_clean()
    assert "price" in excinfo.value.message_dict
