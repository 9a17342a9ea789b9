"""E-mails leave only once the change they announce is committed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from ecommerce_kit.orders import services
from ecommerce_kit.orders.models import OrderEmail
from tests.emails.helpers import client, committed, move, place_order
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import checkout_body, make_cart

pytestmark = pytest.mark.django_db


def test_checkout_emails_wait_for_the_commit(
    django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    user, product = UserFactory(), ProductFactory()
    make_cart(user, [(product, 1)])

    with django_capture_on_commit_callbacks() as callbacks:
        response = client(user).post("/api/v1/checkout/", checkout_body(), format="json")
        assert response.status_code == 201
        assert mailoutbox == [] and not OrderEmail.objects.exists()
    assert mailoutbox == [] and not OrderEmail.objects.exists()

    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mailoutbox) == sorted([user.email, product.store.owner.email])


def test_a_rolled_back_change_sends_nothing(mailoutbox: Any) -> None:
    order = place_order(UserFactory(), [(ProductFactory(), 1)])
    fulfilment = order.fulfilments.get()
    move(fulfilment, "process")
    mailoutbox.clear()

    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        services.ship_fulfilment(fulfilment_id=fulfilment.pk, actor=None, tracking_number="T-1")
        raise RuntimeError("something after the shipment failed")

    fulfilment.refresh_from_db()
    assert fulfilment.status == "processing"
    assert mailoutbox == [] and not OrderEmail.objects.filter(kind="order_shipped").exists()
