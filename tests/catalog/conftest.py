from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser

from ecommerce_kit.catalog.models import Category, Store
from tests.factories import CategoryFactory, StoreFactory, UserFactory


@pytest.fixture
def category(db) -> Category:  # noqa: ANN001
    return CategoryFactory(name="Roupa", slug="roupa")


@pytest.fixture
def store(db) -> Store:  # noqa: ANN001
    """An approved, active store."""
    return StoreFactory(name="Loja da Ana", slug="loja-da-ana")


@pytest.fixture
def seller(store: Store) -> AbstractBaseUser:
    """The owner of the approved ``store``."""
    return store.owner


@pytest.fixture
def pending_store(db) -> Store:  # noqa: ANN001
    return StoreFactory(name="Loja Nova", slug="loja-nova", is_approved=False, approved_at=None)


@pytest.fixture
def pending_seller(pending_store: Store) -> AbstractBaseUser:
    """The owner of a store that is not approved yet."""
    return pending_store.owner


@pytest.fixture
def other_seller(db) -> AbstractBaseUser:  # noqa: ANN001
    """The owner of another approved store."""
    return StoreFactory(name="Outra Loja", slug="outra-loja").owner


@pytest.fixture
def buyer(db) -> AbstractBaseUser:  # noqa: ANN001
    """An authenticated user without a store."""
    return UserFactory(username="buyer")
