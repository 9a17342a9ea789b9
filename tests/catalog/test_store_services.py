from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser

from ecommerce_kit.catalog import services
from ecommerce_kit.catalog.models import Store
from ecommerce_kit.exceptions import InvalidInputError, PermissionDeniedError, StoreExistsError
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_store_makes_a_pending_store_with_a_slug_from_the_name(
    user: AbstractBaseUser,
) -> None:
    store = services.create_store(owner=user, name="  Pão de Açúcar  ", description="Padaria")
    assert store.name == "Pão de Açúcar"
    assert store.slug == "pao-de-acucar"
    assert store.owner == user
    assert store.description == "Padaria"
    assert not store.is_approved and store.is_active and store.approved_at is None


def test_create_store_makes_the_slug_unique(user: AbstractBaseUser) -> None:
    StoreFactory(slug="kitanda")
    StoreFactory(slug="kitanda-2")
    store = services.create_store(owner=user, name="Kitanda")
    assert store.slug == "kitanda-3"


def test_create_store_slugs_names_without_latin_letters(user: AbstractBaseUser) -> None:
    store = services.create_store(owner=user, name="!!!")
    assert store.slug == "store"


def test_create_store_truncates_long_names_into_the_slug_column(user: AbstractBaseUser) -> None:
    store = services.create_store(owner=user, name="loja " * 24)
    max_length = Store._meta.get_field("slug").max_length
    assert max_length is not None
    assert len(store.slug) <= max_length


def test_create_store_rejects_a_second_store_of_the_same_owner(user: AbstractBaseUser) -> None:
    services.create_store(owner=user, name="Primeira")
    with pytest.raises(StoreExistsError) as info:
        services.create_store(owner=user, name="Segunda")
    assert info.value.code == "store_exists" and info.value.status_code == 409
    assert Store.objects.filter(owner=user).count() == 1


def test_create_store_rejects_a_blank_name(user: AbstractBaseUser) -> None:
    with pytest.raises(InvalidInputError):
        services.create_store(owner=user, name="   ")
    assert not Store.objects.exists()


def test_approve_store_records_who_and_when(staff: AbstractBaseUser) -> None:
    store = StoreFactory(is_approved=False, approved_at=None)
    approved = services.approve_store(store=store, actor=staff)
    store.refresh_from_db()
    assert store.is_approved and approved.is_approved
    assert store.approved_by == staff
    assert store.approved_at is not None


def test_approve_store_twice_changes_nothing(staff: AbstractBaseUser) -> None:
    store = StoreFactory(is_approved=False, approved_at=None)
    services.approve_store(store=store, actor=staff)
    store.refresh_from_db()
    first = (store.approved_at, store.approved_by_id, store.updated_at)
    services.approve_store(store=store, actor=UserFactory(is_staff=True))
    store.refresh_from_db()
    assert (store.approved_at, store.approved_by_id, store.updated_at) == first


def test_approve_store_needs_staff(user: AbstractBaseUser) -> None:
    store = StoreFactory(is_approved=False, approved_at=None)
    with pytest.raises(PermissionDeniedError):
        services.approve_store(store=store, actor=user)
    store.refresh_from_db()
    assert not store.is_approved
