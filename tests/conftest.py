from __future__ import annotations

from collections.abc import Iterator

import pluggy
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from ecommerce_kit.plugins import get_plugin_manager
from tests.factories import ShopStaffFactory, StaffFactory, UserFactory

pytest_plugins = ["ecommerce_kit.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def isolated_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[pluggy.PluginManager]:
    """Keep installed plugins out of the tests and give each test a fresh plugin manager."""
    monkeypatch.setenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    get_plugin_manager.cache_clear()
    yield get_plugin_manager()
    get_plugin_manager.cache_clear()


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):  # noqa: ANN001, ANN201
    return UserFactory()


@pytest.fixture
def staff(db):  # noqa: ANN001, ANN201
    """A staff user holding no permission."""
    return StaffFactory()


@pytest.fixture
def shop_staff(db):  # noqa: ANN001, ANN201
    """A staff user holding every order, fulfilment and payment permission ("Shop staff")."""
    return ShopStaffFactory()


@pytest.fixture
def client_for():  # noqa: ANN201
    """Return an :class:`APIClient` authenticated as the given user (or anonymous for ``None``)."""

    def make(user=None) -> APIClient:  # noqa: ANN001
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make
