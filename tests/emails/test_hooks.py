"""A plugin may send an e-mail itself; refunds are announced once each through refund_succeeded."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest
from django.utils import translation

from ecommerce_kit import hookimpl
from ecommerce_kit.emails import deliver
from ecommerce_kit.orders.models import OrderEmail
from tests.emails.helpers import cancel, committed, emails, place_order, refund
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import make_order
from tests.payments.helpers import signed_webhook

pytestmark = pytest.mark.django_db


class Sender:
    """Sends ``order_confirmed`` itself and records what it was given."""

    def __init__(self, answer: Any = True) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def send_order_email(self, kind: str, order: Any, context: Any, recipient: Any) -> Any:
        if kind != "order_confirmed":
            return None
        self.calls.append(
            {
                "kind": kind,
                "order": order,
                "context": context,
                "recipient": recipient,
                "active": translation.get_language(),
            }
        )
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def register(isolated_plugins: pluggy.PluginManager) -> Any:
    def add(plugin: Any) -> Any:
        isolated_plugins.register(plugin, name=f"test-{plugin.__class__.__name__}")
        return plugin

    return add


def test_a_plugin_sends_the_email_instead_of_the_kit(mailoutbox: Any, register: Any) -> None:
    sender = register(Sender())
    buyer, product = UserFactory(), ProductFactory()
    order = place_order(buyer, [(product, 2)], language="pt")

    [call] = sender.calls
    assert (call["kind"], call["order"], call["recipient"]) == ("order_confirmed", order, buyer)
    assert call["active"] == "pt" and call["context"]["language"] == "pt"
    assert [item.product_id for item in call["context"]["items"]] == [product.pk]
    # The kit sent only what the plugin left to it: the seller's e-mail.
    assert [m.to for m in mailoutbox] == [[product.store.owner.email]]
    confirmed = order.emails.get(kind="order_confirmed")
    assert (confirmed.state, confirmed.by_plugin) == ("sent", True)

    # Once: a repeated delivery does not call the plugin again.
    assert deliver(confirmed.pk) == "sent"
    assert len(sender.calls) == 1


@pytest.mark.parametrize("answer", [None, False])
def test_a_plugin_that_does_not_send_leaves_it_to_the_kit(
    mailoutbox: Any, register: Any, answer: Any
) -> None:
    sender = register(Sender(answer))
    buyer = UserFactory()
    place_order(buyer, [(ProductFactory(), 1)])

    assert len(sender.calls) == 1
    assert buyer.email in [m.to[0] for m in mailoutbox]
    assert not OrderEmail.objects.filter(by_plugin=True).exists()


@pytest.mark.parametrize("answer", [RuntimeError("service down"), "yes"])
def test_a_failing_plugin_marks_the_email_failed_and_is_not_retried(
    mailoutbox: Any, register: Any, answer: Any
) -> None:
    sender = register(Sender(answer))
    buyer = UserFactory()
    order = place_order(buyer, [(ProductFactory(), 1)])

    confirmed = order.emails.get(kind="order_confirmed")
    assert confirmed.state == "failed" and confirmed.error
    assert deliver(confirmed.pk) == "failed"
    assert len(sender.calls) == 1
    assert buyer.email not in [m.to[0] for m in mailoutbox]


class RefundRecorder:
    def __init__(self) -> None:
        self.refunds: list[tuple[str, str]] = []

    @hookimpl
    def refund_succeeded(self, payment: Any, entry: Any) -> None:
        self.refunds.append((entry.reason, str(entry.amount.amount)))


def _refunded_subjects(mailoutbox: Any) -> list[str]:
    return [m.subject for m in mailoutbox if m.subject.startswith("Refund")]


def test_each_staff_refund_is_announced_and_emailed_once(
    mailoutbox: Any, register: Any, shop_staff: Any
) -> None:
    recorder = register(RefundRecorder())
    order = place_order(UserFactory(), [(ProductFactory(), 1)])

    refund(order, shop_staff, "100.00")
    refund(order, shop_staff, "250.00")

    assert recorder.refunds == [("staff", "100.00"), ("staff", "250.00")]
    assert _refunded_subjects(mailoutbox) == [f"Refund for your order {order.number}"] * 2
    assert ["We have refunded AOA100.00" in m.body for m in mailoutbox[-2:]] == [True, False]


def test_a_refund_made_at_the_provider_is_emailed_once(
    client: Any, mailoutbox: Any, register: Any
) -> None:
    recorder = register(RefundRecorder())
    order = place_order(UserFactory(), [(ProductFactory(), 1)])
    payment = order.payments.get()
    body, headers = signed_webhook(
        {
            "event_id": "evt_refund_1",
            "payment_id": payment.pk,
            "type": "payment.refunded",
            "amount": {"amount": "300.00", "currency": "AOA"},
        }
    )

    for _ in range(2):  # the provider delivers its event twice
        with committed():
            response = client.post(
                "/api/v1/payments/webhooks/dummy/",
                data=body,
                content_type="application/json",
                **headers,
            )
        assert response.status_code == 200

    assert recorder.refunds == [("provider", "300.00")]
    assert _refunded_subjects(mailoutbox) == [f"Refund for your order {order.number}"]
    assert "We have refunded AOA300.00" in mailoutbox[-1].body


def test_money_given_back_for_a_cancelled_order_sends_only_the_cancellation(
    mailoutbox: Any, register: Any
) -> None:
    recorder = register(RefundRecorder())
    buyer = UserFactory()
    order = place_order(buyer, [(ProductFactory(), 1)])

    cancel(order, buyer)

    assert recorder.refunds == [("release", "1000.00")]
    assert [e.kind for e in emails(order=order)] == [
        "order_confirmed",
        "fulfilment_due",
        "order_cancelled",
    ]
    assert _refunded_subjects(mailoutbox) == []


def test_a_pending_order_cancelled_sends_nothing(mailoutbox: Any) -> None:
    buyer = UserFactory()
    order = make_order(buyer=buyer, lines=[(ProductFactory(), 1)])
    cancel(order, buyer)

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert mailoutbox == [] and emails() == []
