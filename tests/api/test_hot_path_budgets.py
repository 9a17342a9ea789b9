"""Statement budgets of the shop's hot paths: product list and detail, cart add and cart view.

Statements are counted without transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE), for a
signed-in client whose user the test client supplies (``force_authenticate``: a host's token
authentication adds its own lookup of the user). None grows with the page size, the number of
cart lines, the stores behind the products, or their reviews.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from ecommerce_kit.cart import services as cart_services
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.catalog.search import get_search_features
from ecommerce_kit.catalog.serializers import ProductSerializer, VariantSerializer
from tests.factories import ProductFactory, StoreFactory, UserFactory, VariantFactory
from tests.reviews.factories import make_review

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
CART = "/api/v1/cart/"
CART_ITEMS = "/api/v1/cart/items/"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture(autouse=True)
def search_features_known(db: Any) -> None:
    """The first list of a process asks the database once what search it offers: not per page."""
    get_search_features()


def statements(call: Any) -> tuple[list[str], Any]:
    """Run ``call`` and return the SQL it sent, transaction control left out, and its answer."""
    with CaptureQueriesContext(connection) as context:
        response = call()
    assert response.status_code in (200, 201), getattr(response, "data", response)
    sql = [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]
    return sql, response


def catalog(groups: int, reviews: int = 0) -> list[Product]:
    """``groups`` groups of 3 variants and as many standalone products, one store each."""
    products = []
    for n in range(groups):
        store = StoreFactory()
        group = ProductFactory(store=store)
        for size in ("S", "M", "L"):
            VariantFactory(parent=group, attributes={"size": size}, price=Money(Decimal(10), "AOA"))
        standalone = ProductFactory(store=store)
        for _ in range(reviews if n % 2 else 0):
            make_review(standalone)
        products += [group, standalone]
    return products


def test_product_list_three_statements_whatever_the_page_stores_and_reviews(
    api_client: Any,
) -> None:
    catalog(1)
    small, body = statements(lambda: api_client.get(PRODUCTS, {"page_size": 1}))
    assert len(body.json()["results"]) == 1
    catalog(30, reviews=2)
    large, body = statements(lambda: api_client.get(PRODUCTS, {"page_size": 60}))
    assert len(body.json()["results"]) == 60
    assert any(p["rating"]["count"] for p in body.json()["results"])
    assert any(p["variants"] for p in body.json()["results"])
    assert len(large) == len(small) <= 3, "\n".join(large)  # count, page, variants


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "5", "max_price": "50", "ordering": "price"},
        {"in_stock": "true", "currency": "AOA"},
        {"in_stock": "false"},
    ],
)
def test_filtered_list_reads_variants_per_candidate_not_with_exists(
    api_client: Any, params: dict[str, str]
) -> None:
    # EXISTS under an OR is a hashed subplan over every variant of the catalog on PostgreSQL
    # (bench/README.md, "Large catalogs"); the filters use one correlated subquery per candidate.
    catalog(3)
    sql, body = statements(lambda: api_client.get(PRODUCTS, params))
    assert len(sql) <= 3, "\n".join(sql)
    assert not any("EXISTS" in statement.upper() for statement in sql), "\n".join(sql)
    assert body.json()["count"] == len(body.json()["results"])


def test_product_detail_two_statements_whatever_the_variants_and_reviews(
    api_client: Any,
) -> None:
    small_group = ProductFactory()
    VariantFactory(parent=small_group)
    small, _ = statements(lambda: api_client.get(f"{PRODUCTS}{small_group.pk}/"))
    large_group = ProductFactory()
    for _ in range(12):
        VariantFactory(parent=large_group)
    for _ in range(3):
        make_review(large_group.variants.first())
    large, body = statements(lambda: api_client.get(f"{PRODUCTS}{large_group.pk}/"))
    assert len(body.json()["variants"]) == 12
    assert len(large) == len(small) <= 2, "\n".join(large)  # the product, its variants


def fill(user: Any, lines: int) -> None:
    cart = cart_services.get_or_create_user_cart(user=user)
    for _ in range(lines):
        product = ProductFactory(store=StoreFactory())
        cart_services.add_item(cart=cart, product_id=product.pk, quantity=1)


@pytest.mark.parametrize("existing_line", [False, True], ids=["new line", "same line again"])
def test_cart_add_six_statements_whatever_the_cart(client_for: Any, existing_line: bool) -> None:
    counts = []
    for lines in (0, 30):
        user = UserFactory()
        fill(user, lines)
        product = ProductFactory(stock_quantity=10)
        client = client_for(user)
        if existing_line:
            client.post(CART_ITEMS, {"product": product.pk}, format="json")
        sql, response = statements(
            lambda c=client, p=product: c.post(CART_ITEMS, {"product": p.pk}, format="json")
        )
        assert len(response.data["items"]) == lines + 1
        assert len(sql) <= 6, "\n".join(sql)
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_cart_view_three_statements_whatever_the_lines(client_for: Any) -> None:
    counts = []
    for lines in (1, 40):
        user = UserFactory()
        fill(user, lines)
        sql, response = statements(lambda u=user: client_for(u).get(CART))
        assert len(response.data["items"]) == lines
        assert len(sql) <= 3, "\n".join(sql)
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_direct_product_shape_is_the_declared_fields_shape() -> None:
    """The kit's serializers write their shape directly; a subclass goes through DRF's loop over
    the declared fields. Both must give the same answer."""

    class ThroughFields(ProductSerializer):
        pass

    class VariantThroughFields(VariantSerializer):
        pass

    group = ProductFactory()
    VariantFactory(parent=group, attributes={"size": "M"})
    VariantFactory(parent=group, is_active=False)
    standalone = ProductFactory(stock_quantity=0, description="Café")
    make_review(standalone, rating=5)
    for product in Product.objects.all():
        assert ProductSerializer(product).data == ThroughFields(product).data
        assert VariantSerializer(product).data == VariantThroughFields(product).data
        assert list(ProductSerializer(product).data) == list(ThroughFields(product).data)
