"""Stale anonymous carts: the service, the management command and the Celery task."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from ecommerce_kit.cart import services, tasks
from ecommerce_kit.cart.models import Cart, CartItem
from tests.cart.factories import CartFactory, CartItemFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def age(cart: Cart, days: float) -> Cart:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=days))
    return cart


@pytest.fixture
def carts(db):  # noqa: ANN001, ANN201
    """Three stale anonymous carts (one with a line), a fresh one, and a stale owned one."""
    stale = [age(CartFactory(), 31), age(CartFactory(), 45), age(CartItemFactory().cart, 60)]
    fresh = age(CartFactory(), 29)
    owned = age(CartFactory(user=UserFactory()), 400)
    return {"stale": stale, "fresh": fresh, "owned": owned}


def remaining() -> set[int]:
    return set(Cart.objects.values_list("pk", flat=True))


def test_purge_deletes_only_stale_anonymous_carts(carts):
    assert services.purge_stale_carts() == 3
    assert remaining() == {carts["fresh"].pk, carts["owned"].pk}
    assert not CartItem.objects.exists()


def test_purge_in_small_batches_deletes_all(carts):
    assert services.purge_stale_carts(batch_size=1) == 3
    assert remaining() == {carts["fresh"].pk, carts["owned"].pk}


def test_purge_twice_deletes_nothing_more(carts):
    services.purge_stale_carts()
    assert services.purge_stale_carts() == 0


def test_purge_older_than_overrides_ttl(carts):
    assert services.purge_stale_carts(older_than=timedelta(days=50)) == 1


@override_settings(ECOMMERCE_KIT={"CART_TTL": timedelta(days=40)})
def test_purge_follows_cart_ttl_setting(carts):
    assert services.purge_stale_carts() == 2


@override_settings(ECOMMERCE_KIT={"CART_TTL": 3600})
def test_purge_accepts_ttl_in_seconds(carts):
    assert services.purge_stale_carts() == 4


def test_purge_dry_run_counts_without_deleting(carts):
    before = remaining()
    assert services.purge_stale_carts(dry_run=True) == 3
    assert remaining() == before


def test_purge_rejects_bad_batch_size(carts):
    with pytest.raises(ValueError):
        services.purge_stale_carts(batch_size=0)


def test_writing_to_a_cart_keeps_it(carts, product):
    kept = carts["stale"][0]
    services.add_item(cart=kept, product_id=product.pk, quantity=1)
    assert services.purge_stale_carts() == 2
    assert kept.pk in remaining()


def test_command_reports_count(carts):
    out = StringIO()
    call_command("purge_stale_carts", stdout=out)
    assert "Removed 3 stale anonymous cart(s)." in out.getvalue()
    assert remaining() == {carts["fresh"].pk, carts["owned"].pk}


def test_command_dry_run(carts):
    out = StringIO()
    call_command("purge_stale_carts", "--dry-run", stdout=out)
    assert "3 stale anonymous cart(s) would be removed." in out.getvalue()
    assert len(remaining()) == 5


def test_command_options(carts):
    out = StringIO()
    call_command("purge_stale_carts", "--older-than-days", "50", "--batch-size", "1", stdout=out)
    assert "Removed 1 stale" in out.getvalue()


@pytest.mark.parametrize("option", ["--batch-size", "--older-than-days"])
def test_command_rejects_non_positive_numbers(carts, option):
    with pytest.raises(CommandError):
        call_command("purge_stale_carts", option, "0")


def test_task_is_named_and_acks_late():
    assert tasks.purge_stale_carts.name == "ecommerce_kit.cart.purge_stale_carts"
    assert tasks.purge_stale_carts.acks_late is True


def test_task_purges_and_returns_count(carts):
    result = tasks.purge_stale_carts.apply()
    assert result.successful()
    assert result.get() == 3
    assert remaining() == {carts["fresh"].pk, carts["owned"].pk}
