"""Cart responses use a fixed number of queries whatever the number of lines."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart
from tests.cart.conftest import CART_URL, ITEMS_URL, MERGE_URL, item_url
from tests.factories import ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def fill(cart: Cart, lines: int) -> None:
    """Give ``cart`` ``lines`` lines from different stores, half of them variants."""
    for n in range(lines):
        store = StoreFactory()
        if n % 2:
            product = VariantFactory(parent=ProductFactory(store=store))
        else:
            product = ProductFactory(store=store)
        services.add_item(cart=cart, product_id=product.pk, quantity=1)


def count_queries(request) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as ctx:
        response = request()
    assert response.status_code < 300, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_get_cart_same_queries_for_1_and_50_lines(client_for, user, signed_in):
    counts = []
    for lines in (1, 50):
        if signed_in:
            Cart.objects.filter(user=user).delete()
            cart = services.get_or_create_user_cart(user=user)
            client = client_for(user)
        else:
            cart = services.create_anonymous_cart()
            client = client_for(None)
            client.credentials(HTTP_X_CART_TOKEN=cart.token)
        fill(cart, lines)
        client.get(CART_URL)  # an anonymous client's first call starts its session
        counts.append(count_queries(lambda c=client: c.get(CART_URL)))
    assert counts[0] == counts[1]


def test_get_cart_budget_signed_in(client_for, user, django_assert_num_queries):
    fill(services.get_or_create_user_cart(user=user), 3)
    with django_assert_num_queries(2):  # the user's cart, then its lines with products
        assert client_for(user).get(CART_URL).status_code == 200


def test_get_cart_budget_anonymous(api_client, cart, django_assert_num_queries):
    fill(cart, 3)
    api_client.credentials(HTTP_X_CART_TOKEN=cart.token)
    api_client.get(CART_URL)
    with django_assert_num_queries(3):  # the session, the cart, its lines with products
        assert api_client.get(CART_URL).status_code == 200


def test_writes_same_queries_for_1_and_50_lines(client_for):
    counts = []
    for lines in (1, 50):
        cart = services.create_anonymous_cart()
        fill(cart, lines - 1)
        client = client_for(None)
        client.credentials(HTTP_X_CART_TOKEN=cart.token)
        client.get(CART_URL)
        extra = ProductFactory()
        add = count_queries(lambda c=client, p=extra: c.post(ITEMS_URL, {"product": p.pk}))
        again = count_queries(lambda c=client, p=extra: c.post(ITEMS_URL, {"product": p.pk}))
        item_id = cart.items.get(product=extra).pk
        patch = count_queries(lambda c=client, i=item_id: c.patch(item_url(i), {"quantity": 3}))
        delete = count_queries(lambda c=client, i=item_id: c.delete(item_url(i)))
        counts.append((add, again, patch, delete))
    assert counts[0] == counts[1]


def test_merge_same_queries_for_2_and_50_lines(client_for, user):
    counts = []
    for lines in (2, 50):
        Cart.objects.filter(user=user).delete()
        own = services.get_or_create_user_cart(user=user)
        source = services.create_anonymous_cart()
        fill(source, lines)
        # Half of the lines are also in the user's cart, so both inserts and updates happen.
        for item in source.items.all()[: lines // 2]:
            services.add_item(cart=own, product_id=item.product_id, quantity=1)
        client = client_for(user)
        counts.append(
            count_queries(lambda c=client, s=source: c.post(MERGE_URL, {"token": s.token}))
        )
    assert counts[0] == counts[1]
