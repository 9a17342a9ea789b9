"""Fixtures of the seller's desk tests: the example site's URLs with its storefront and desk apps.

These tests add the example site's page apps (``storefront`` and ``desk``) to the suite's settings
(``tests.settings``) when they are missing, with the storefront's context processor and sign-in
page, as ``example_project/config/settings.py`` does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from moneyed import Money

from ecommerce_kit.catalog.models import Product, Store
from ecommerce_kit.orders.models import Order
from ecommerce_kit.orders.states import OrderStatus
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, UserFactory
from tests.orders.factories import make_order
from tests.payments.factories import make_payment


@pytest.fixture(autouse=True)
def desk_site(settings: Any) -> Iterator[None]:
    apps = list(settings.INSTALLED_APPS)
    settings.INSTALLED_APPS = apps + [app for app in ("storefront", "desk") if app not in apps]
    settings.ROOT_URLCONF = "config.urls"
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    if "storefront.context_processors.shop" not in processors:
        processors.append("storefront.context_processors.shop")
    settings.TEMPLATES = templates
    settings.LOGIN_URL = "storefront:sign-in"
    yield


@pytest.fixture
def browser_for() -> Callable[[Any], Client]:
    """A Django test client signed in as the given user (anonymous for ``None``), in English."""

    def make(user: Any) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def mine(db: Any) -> Store:
    """An approved store (the seller under test is its owner)."""
    return StoreFactory(name="Loja Azul")


@pytest.fixture
def theirs(db: Any) -> Store:
    """Another seller's approved store."""
    return StoreFactory(name="Loja Verde")


@pytest.fixture
def scarf(mine: Store) -> Product:
    return ProductFactory(store=mine, name="Capulana", price=Money("1250.00", "AOA"))


@pytest.fixture
def lamp(theirs: Store) -> Product:
    return ProductFactory(store=theirs, name="Candeeiro", price=Money("9999.00", "AOA"))


@pytest.fixture
def paid_order(mine: Store, theirs: Store, scarf: Product, lamp: Product) -> Order:
    """A paid order with a line of each store: two fulfilments, one per store."""
    mat = ProductFactory(store=mine, name="Esteira", price=Money("300.00", "AOA"))
    order = make_order(
        buyer=UserFactory(username="ana"),
        lines=[(scarf, 2), (lamp, 1), (mat, 1)],
        status=OrderStatus.CONFIRMED,
    )
    make_payment(order=order, reference=f"dummy_desk_{order.pk}")
    return order


@pytest.fixture
def category(db: Any) -> Any:
    return CategoryFactory(name="Tecidos")
