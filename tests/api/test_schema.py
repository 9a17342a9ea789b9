from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    path: Path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning or error into a failure.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_covers_the_catalog_and_health(schema: dict) -> None:  # type: ignore[type-arg]
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/health/": {"get"},
        "/api/v1/categories/": {"get"},
        "/api/v1/categories/{id}/": {"get"},
        "/api/v1/products/": {"get", "post"},
        "/api/v1/products/{id}/": {"get", "patch", "delete"},
        "/api/v1/stores/": {"get", "post"},
        "/api/v1/stores/{slug}/": {"get"},
        "/api/v1/stores/{slug}/approve/": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
    assert "put" not in paths["/api/v1/products/{id}/"]


def test_schema_describes_the_product_shape(schema: dict) -> None:  # type: ignore[type-arg]
    components = schema["components"]["schemas"]
    product = components["Product"]["properties"]
    assert set(product) == {
        "id",
        "slug",
        "name",
        "description",
        "price",
        "stock_quantity",
        "in_stock",
        "category",
        "store",
        "rating",
        "attributes",
        "parent",
        "variants",
        "is_active",
        "created_at",
        "updated_at",
    }
    assert product["price"]["properties"]["amount"]["type"] == "string"
    assert "variants" not in components["Variant"]["properties"]


def test_schema_lists_the_product_filters(schema: dict) -> None:  # type: ignore[type-arg]
    params = {p["name"]: p for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]}
    assert {
        "search",
        "category",
        "store",
        "min_price",
        "max_price",
        "in_stock",
        "currency",
        "ordering",
        "page",
        "page_size",
    } <= set(params)
    assert params["in_stock"]["schema"]["type"] == "boolean"
    assert set(params["ordering"]["schema"]["enum"]) == {
        "price",
        "-price",
        "created_at",
        "-created_at",
        "name",
        "-name",
        "rating",
        "-rating",
    }


def test_schema_documents_error_answers(schema: dict) -> None:  # type: ignore[type-arg]
    create = schema["paths"]["/api/v1/products/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(create)
    assert create["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


#: The error statuses API.md gives each operation (beyond the catalog's, tested above).
DOCUMENTED_ERRORS: dict[tuple[str, str], set[str]] = {
    ("/api/v1/checkout/", "post"): {"400", "401", "402", "409", "422", "502"},
    ("/api/v1/orders/", "get"): {"400", "401"},
    ("/api/v1/orders/{number}/", "get"): {"401", "404"},
    ("/api/v1/orders/{number}/cancel/", "post"): {"401", "403", "404", "409"},
    ("/api/v1/orders/{number}/pay/", "post"): {"400", "401", "402", "403", "404", "409", "502"},
    ("/api/v1/orders/{number}/refund/", "post"): {"400", "401", "403", "404", "409"},
    ("/api/v1/orders/{number}/payments/", "get"): {"401", "404"},
    ("/api/v1/fulfilments/", "get"): {"400", "401"},
    ("/api/v1/fulfilments/{id}/process/", "post"): {"401", "403", "404", "409"},
    ("/api/v1/fulfilments/{id}/ship/", "post"): {"400", "401", "403", "404", "409"},
    ("/api/v1/fulfilments/{id}/deliver/", "post"): {"401", "403", "404", "409"},
    ("/api/v1/payment-methods/", "get"): {"400"},
    ("/api/v1/payments/webhooks/{gateway}/", "post"): {"400", "404"},
    ("/api/v1/products/{product_id}/rating/", "get"): {"404"},
    ("/api/v1/products/{product_id}/reviews/", "get"): {"400", "404"},
    ("/api/v1/products/{product_id}/reviews/", "post"): {"400", "401", "403", "404", "409"},
    ("/api/v1/reviews/{id}/", "get"): {"404"},
    ("/api/v1/reviews/{id}/", "patch"): {"400", "401", "403", "404"},
    ("/api/v1/reviews/{id}/", "delete"): {"401", "403", "404"},
    ("/api/v1/wishlist/", "get"): {"401"},
    ("/api/v1/wishlist/", "post"): {"400", "401"},
    ("/api/v1/wishlist/{product_id}/", "delete"): {"401", "404"},
}


@pytest.mark.parametrize(("path", "method"), sorted(DOCUMENTED_ERRORS))
def test_schema_documents_the_error_answers_of_every_operation(
    schema: dict,  # type: ignore[type-arg]
    path: str,
    method: str,
) -> None:
    # A client generated from the document must learn of 402 payment_declined, 409
    # insufficient_stock, ...: only the catalog and cart operations listed their errors.
    responses = schema["paths"][path][method]["responses"]
    assert DOCUMENTED_ERRORS[path, method] <= set(responses), sorted(responses)
    for status in DOCUMENTED_ERRORS[path, method]:
        content = responses[status]["content"]["application/json"]["schema"]
        assert content["$ref"].endswith("/Error"), (status, content)


def test_schema_describes_the_sellers_view_of_an_order(schema: dict) -> None:  # type: ignore[type-arg]
    schemas = schema["components"]["schemas"]
    order = schemas["Order"]["properties"]
    assert order["view"]["allOf"][0]["$ref"] == "#/components/schemas/OrderViewEnum"
    assert schemas["OrderViewEnum"]["enum"] == ["full", "seller"]
    assert not order["subtotal"].get("nullable")
    for name in ("shipping", "tax", "total"):
        assert order[name]["nullable"] is True, name


def test_schema_documents_permission_denied_of_the_staff_actions(schema: dict) -> None:  # type: ignore[type-arg]
    paths = schema["paths"]
    for path in (
        "/api/v1/orders/{number}/cancel/",
        "/api/v1/orders/{number}/refund/",
        "/api/v1/fulfilments/{id}/process/",
        "/api/v1/fulfilments/{id}/ship/",
        "/api/v1/fulfilments/{id}/deliver/",
    ):
        assert "permission_denied" in paths[path]["post"]["responses"]["403"]["description"], path
