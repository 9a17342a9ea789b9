"""Every operation of the API schema, fuzzed as anonymous, buyer, seller and staff.

The OpenAPI document drf-spectacular generates for the kit is loaded into schemathesis, which
generates requests for each operation from it and sends them through Django's WSGI handler. Path
parameters are pinned to rows this test creates (a product, a store, an order, a cart line...), so
requests reach the views instead of stopping at 404. Every answer must be no 5xx, carry a status
code the schema documents for the operation, a documented content type, and a body the
operation's response schema accepts.

Generation is bounded and derandomized (a fixed seed per test), so CI sees the same requests on
every run.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from moneyed import Money
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.orders.states import OrderStatus
from ecommerce_kit.wishlist.models import WishlistItem
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ShopStaffFactory,
    StoreFactory,
    UserFactory,
)
from tests.orders.factories import make_order
from tests.reviews.factories import make_review

WEBHOOK_SECRET = "whsec_schemathesis_tests"
#: Generated requests per operation and role: enough to cover each body and query shape a few
#: times, few enough that the whole module runs in well under a minute.
MAX_EXAMPLES = 4
ROLES = ("anonymous", "buyer", "seller", "staff")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _openapi() -> dict[str, Any]:
    # tests/urls.py mounts no schema view: generate the document the example serves at
    # /api/schema/ in-process.
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def api_schema(django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_dict(_openapi())


def _collect_openapi() -> dict[str, Any]:
    import django

    django.setup()
    return _openapi()


#: The document at collection time, for the parametrization.
OPENAPI = _collect_openapi()
OPERATIONS = [
    (method.upper(), path) for path, methods in OPENAPI["paths"].items() for method in methods
]
PAGINATED = [
    (method, path)
    for method, path in OPERATIONS
    if "page" in {p["name"] for p in OPENAPI["paths"][path][method.lower()].get("parameters", [])}
]


@pytest.fixture(autouse=True)
def _dummy_gateway(settings: Any) -> None:
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": WEBHOOK_SECRET}},
    }


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, without closing the test's database connection per request."""
    # Django's own test client disconnects these too: closing the connection would end the
    # transaction the test runs in.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    """A seller's approved store with products, a buyer with a cart, an order, a review and a
    wishlist, staff with the shop permissions and an anonymous cart."""
    seller = UserFactory()
    store = StoreFactory(owner=seller)
    category = CategoryFactory()
    product = ProductFactory(store=store, category=category, stock_quantity=50)
    other = ProductFactory(
        store=store, category=category, price=Money(Decimal("250.00"), "AOA"), stock_quantity=50
    )
    buyer = UserFactory()
    order = make_order(buyer=buyer, lines=[(product, 1), (other, 2)], status=OrderStatus.CONFIRMED)
    make_order(buyer=buyer, lines=[(product, 1)], status=OrderStatus.DELIVERED)
    review = make_review(product=product, user=buyer)
    cart = Cart.objects.create(user=buyer, currency="AOA")
    line = CartItem.objects.create(cart=cart, product=other, quantity=1)
    WishlistItem.objects.create(user=buyer, product=product)
    anonymous_cart = Cart.objects.create(currency="AOA")
    anonymous_line = CartItem.objects.create(cart=anonymous_cart, product=product, quantity=1)
    return {
        "users": {
            "anonymous": None,
            "buyer": buyer,
            "seller": seller,
            "staff": ShopStaffFactory(),
        },
        "path": {
            "id": product.pk,
            "product_id": product.pk,
            "slug": store.slug,
            "number": order.number,
            "gateway": "dummy",
        },
        "ids": {
            "/api/v1/categories/{id}/": category.pk,
            "/api/v1/reviews/{id}/": review.pk,
            "/api/v1/fulfilments/{id}/": order.fulfilments.get().pk,
        },
        "cart_lines": {"anonymous": anonymous_line.pk, "default": line.pk},
        "cart_token": str(anonymous_cart.token),
    }


def _path_parameters(shop: dict[str, Any], path: str, role: str) -> dict[str, Any]:
    params = dict(shop["path"])
    for prefix, pk in shop["ids"].items():
        if path.startswith(prefix):
            params["id"] = pk
    params["item_id"] = shop["cart_lines"].get(role, shop["cart_lines"]["default"])
    return {name: value for name, value in params.items() if "{" + name + "}" in path}


def _headers(shop: dict[str, Any], role: str) -> dict[str, str]:
    """Session cookie and CSRF token for a signed-in role; the cart token for anonymous."""
    user = shop["users"][role]
    if user is None:
        return {"X-Cart-Token": shop["cart_token"]}
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_as_documented(
    api_schema: Any,
    shop: dict[str, Any],
    wsgi_app: WSGIHandler,
    method: str,
    path: str,
    role: str,
) -> None:
    operation = api_schema[path][method]
    headers = _headers(shop, role)
    strategy = operation.as_strategy(path_parameters=_path_parameters(shop, path, role))

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(app=wsgi_app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


def test_every_operation_is_covered() -> None:
    """The parametrization above is the schema's operation list (a guard against an empty one)."""
    assert len(OPERATIONS) >= 40
    assert len(PAGINATED) >= 8
    assert ("POST", "/api/v1/checkout/") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), PAGINATED, ids=[f"{m} {p}" for m, p in PAGINATED])
def test_paginated_operation_documents_page_errors(method: str, path: str) -> None:
    """A bad ``page_size`` is a 400 and a page beyond the last a 404, on every paginated list."""
    assert {"400", "404"} <= set(OPENAPI["paths"][path][method.lower()]["responses"])
