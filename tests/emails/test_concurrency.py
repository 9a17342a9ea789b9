"""Real concurrency: workers racing for one e-mail, and repeated hooks racing to record it."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_kit import emails
from ecommerce_kit.orders.models import OrderEmail
from tests.factories import ProductFactory
from tests.orders.factories import make_order
from tests.orders.threads import run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_workers_racing_for_one_email_send_it_once(mailoutbox: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status="confirmed")
    email = OrderEmail.objects.create(order=order, kind="order_confirmed", subject_id=order.pk)

    results = run_together([lambda: emails.deliver(email.pk) for _ in range(4)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 1)


def test_hooks_racing_to_record_an_email_record_and_send_it_once(mailoutbox: Any) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status="confirmed")

    results = run_together(
        [
            lambda: emails.schedule(kind="order_delivered", order_id=order.pk, subject_id=order.pk)
            for _ in range(4)
        ]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert OrderEmail.objects.filter(order=order).count() == 1
    assert len(mailoutbox) == 1
