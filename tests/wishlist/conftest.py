from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit.catalog.models import Product
from tests.factories import ProductFactory


@pytest.fixture
def product(db: Any) -> Product:
    return ProductFactory()
