"""The OpenAPI document covers the cart endpoints."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_lists_every_cart_operation(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/cart/"]) == {"get", "post", "delete"}
    assert set(paths["/api/v1/cart/items/"]) == {"post"}
    assert set(paths["/api/v1/cart/items/{item_id}/"]) == {"patch", "delete"}
    assert set(paths["/api/v1/cart/merge/"]) == {"post"}


def test_schema_documents_cart_token_header(schema):
    parameters = schema["paths"]["/api/v1/cart/"]["get"]["parameters"]
    assert {"in": "header", "name": "X-Cart-Token"}.items() <= parameters[0].items()


def test_schema_cart_shape_matches_contract(schema):
    cart = schema["components"]["schemas"]["Cart"]
    assert set(cart["properties"]) == {
        "token",
        "currency",
        "items",
        "item_count",
        "subtotal",
        "updated_at",
    }
    line = schema["components"]["schemas"]["CartLine"]
    assert set(line["properties"]) == {
        "id",
        "product",
        "quantity",
        "unit_price",
        "line_total",
        "available",
    }
