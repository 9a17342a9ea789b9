from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.catalog.models import Product, ProductRating
from tests.catalog.helpers import products_url
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _order(api_client: Any, ordering: str | None) -> list[int]:
    params = {} if ordering is None else {"ordering": ordering}
    response = api_client.get(products_url(), params)
    assert response.status_code == 200, response.json()
    return [p["id"] for p in response.json()["results"]]


def _rate(product: Product, *ratings: int) -> None:
    counts = {f"count_{n}": ratings.count(n) for n in range(1, 6)}
    average = Decimal(sum(ratings)) / len(ratings)
    ProductRating.objects.create(
        product=product,
        count=len(ratings),
        total=sum(ratings),
        average=average.quantize(Decimal("0.01")),
        **counts,
    )


def test_ordering_by_price(api_client: Any) -> None:
    mid = ProductFactory(price=Money("500", "AOA"))
    low = ProductFactory(price=Money("100", "AOA"))
    high = ProductFactory(price=Money("900", "AOA"))
    assert _order(api_client, "price") == [low.pk, mid.pk, high.pk]
    assert _order(api_client, "-price") == [high.pk, mid.pk, low.pk]


def test_ordering_by_price_uses_a_groups_lowest_active_variant(api_client: Any) -> None:
    standalone = ProductFactory(price=Money("300", "AOA"))
    group = ProductFactory(price=Money("1000", "AOA"))
    VariantFactory(parent=group, price=Money("200", "AOA"))
    VariantFactory(parent=group, price=Money("800", "AOA"))
    VariantFactory(parent=group, price=Money("1", "AOA"), is_active=False)
    assert _order(api_client, "price") == [group.pk, standalone.pk]
    assert _order(api_client, "-price") == [standalone.pk, group.pk]


def test_ordering_by_name(api_client: Any) -> None:
    b = ProductFactory(name="Banana")
    a = ProductFactory(name="Abacaxi")
    c = ProductFactory(name="Caju")
    assert _order(api_client, "name") == [a.pk, b.pk, c.pk]
    assert _order(api_client, "-name") == [c.pk, b.pk, a.pk]


def test_ordering_by_created_at(api_client: Any) -> None:
    products = [ProductFactory() for _ in range(3)]
    ids = [p.pk for p in products]
    assert _order(api_client, "created_at") == ids
    assert _order(api_client, "-created_at") == ids[::-1]
    assert _order(api_client, None) == ids[::-1]


def test_ordering_by_rating_puts_unrated_last_both_ways(api_client: Any) -> None:
    unrated = ProductFactory()
    good = ProductFactory()
    bad = ProductFactory()
    _rate(good, 5, 4)
    _rate(bad, 2)
    assert _order(api_client, "rating") == [bad.pk, good.pk, unrated.pk]
    assert _order(api_client, "-rating") == [good.pk, bad.pk, unrated.pk]


def test_ties_are_broken_by_newest_id(api_client: Any) -> None:
    same = [ProductFactory(name="Igual", price=Money("10", "AOA")) for _ in range(3)]
    newest_first = [p.pk for p in reversed(same)]
    for ordering in ("name", "-name", "price", "-price", "rating", "-rating"):
        assert _order(api_client, ordering) == newest_first, ordering


def test_ties_on_created_at_are_broken_by_newest_id(api_client: Any) -> None:
    same = [ProductFactory() for _ in range(3)]
    Product.objects.update(created_at=same[0].created_at)
    assert _order(api_client, "created_at") == [p.pk for p in reversed(same)]


@pytest.mark.parametrize(
    "value",
    ["popularity", "id", "-id", "price,-name", "PRICE", "--price", "rating_average", "store"],
)
def test_unknown_ordering_is_400(api_client: Any, value: str) -> None:
    response = api_client.get(products_url(), {"ordering": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "ordering" in body["fields"]


def test_empty_ordering_uses_the_default(api_client: Any) -> None:
    first = ProductFactory()
    second = ProductFactory()
    assert _order(api_client, "") == [second.pk, first.pk]
