"""Provider events converge: any permutation of a payment's events, with duplicates, ends in the
same ledger and the same order state as their natural order.

Each example draws the story of one payment at the provider (maybe an authorization; one capture
naming nothing, or partial captures naming their own ids; refunds naming their own ids or nothing;
maybe a failure or a void), delivers it in its natural order to one order, and shuffled with
repeats to a twin order, then compares the two ledgers (kind, state, amount, reference, reason),
the payments' totals and status, and the orders' status and money.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecommerce_kit.payments.dummy import sign
from ecommerce_kit.payments.models import LedgerEntry, Payment
from ecommerce_kit.payments.services import handle_webhook
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.factories import make_order, make_payment

pytestmark = pytest.mark.django_db

TOTAL = Decimal("1000.00")


def _money(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": "AOA"}


@st.composite
def stories(draw: Any) -> list[dict[str, Any]]:
    """The events a provider sends about one payment of ``TOTAL``, in their natural order."""
    events: list[dict[str, Any]] = []
    if draw(st.booleans()):
        events.append({"type": "payment.authorized", "amount": _money(TOTAL)})
    cents = st.integers(min_value=1, max_value=int(TOTAL * 100))
    captured = Decimal(0)
    if draw(st.booleans()):
        amount = Decimal(draw(cents)) / 100
        events.append({"type": "payment.captured", "amount": _money(amount)})
        captured = amount
    else:
        for index in range(draw(st.integers(min_value=0, max_value=3))):
            left = TOTAL - captured
            if left <= 0:
                break
            amount = min(Decimal(draw(cents)) / 100, left)
            events.append(
                {"type": "payment.captured", "amount": _money(amount), "reference": f"cap{index}"}
            )
            captured += amount
    refunded = Decimal(0)
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        left = captured - refunded
        if left <= 0:
            break
        amount = min(Decimal(draw(cents)) / 100, left)
        event: dict[str, Any] = {"type": "payment.refunded", "amount": _money(amount)}
        if draw(st.booleans()):
            event["reference"] = f"ref{index}"
        events.append(event)
        refunded += amount
    ending = draw(st.sampled_from([None, "payment.failed", "payment.voided"]))
    if ending:
        events.append({"type": ending})
    for index, event in enumerate(events):
        event["event_id"] = f"evt{index}"
    return events


def _deliver(payment: Payment, event: dict[str, Any]) -> str:
    # Event ids are unique per provider: scope the story's ids to the payment.
    body = json.dumps(
        {**event, "event_id": f"{payment.pk}-{event['event_id']}", "payment_id": payment.pk}
    ).encode()
    headers = {"X-Dummy-Signature": sign(body, WEBHOOK_SECRET)}
    return handle_webhook(gateway_id="dummy", body=body, headers=headers)


def _state(payment: Payment) -> dict[str, Any]:
    payment.refresh_from_db()
    order = payment.order
    order.refresh_from_db()
    ledger = sorted(
        (e.kind, e.state, str(e.amount.amount), e.reference, e.reason)
        for e in LedgerEntry.objects.filter(payment=payment)
    )
    return {
        "ledger": ledger,
        "payment": (
            payment.status,
            payment.authorized,
            payment.captured,
            payment.refunded,
            payment.refund_pending,
            payment.voided,
        ),
        "order": (
            order.status,
            order.charge_status,
            order.authorize_status,
            order.charged,
            order.refunded,
            order.held,
        ),
        "deferred": payment.deferred_events,
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(story=stories(), data=st.data())
def test_events_in_any_order_with_duplicates_converge(
    gateways_config: dict[str, Any], story: list[dict[str, Any]], data: Any
) -> None:
    natural = make_payment(order=make_order(total=str(TOTAL)), status=PaymentStatus.PENDING)
    shuffled = make_payment(order=make_order(total=str(TOTAL)), status=PaymentStatus.PENDING)
    for event in story:
        outcome = _deliver(natural, event)
        assert not outcome.startswith("deferred"), (event, outcome)

    repeats = data.draw(st.lists(st.sampled_from(story), max_size=len(story))) if story else []
    order = data.draw(st.permutations(story + repeats))
    for event in order:
        _deliver(shuffled, event)

    assert _state(shuffled) == _state(natural)
    # Nothing is left waiting: every deferred event found what it needed.
    assert _state(natural)["deferred"] == 0
    assert natural.refunded <= natural.captured


def test_a_refund_before_its_capture_is_kept_then_applied(gateways_config: dict[str, Any]) -> None:
    payment = make_payment(order=make_order(total="1000.00"), status=PaymentStatus.PENDING)
    refund = {"event_id": "r", "type": "payment.refunded", "amount": _money(Decimal(300))}
    assert _deliver(payment, refund).startswith("deferred")
    assert _deliver(payment, refund) == "duplicate"  # kept, not lost: a redelivery is a duplicate
    capture = {"event_id": "c", "type": "payment.captured", "amount": _money(TOTAL)}
    assert _deliver(payment, capture) == "captured"
    payment.refresh_from_db()
    assert (payment.captured.amount, payment.refunded.amount) == (TOTAL, Decimal(300))
    assert payment.deferred_events == 0
    assert payment.webhook_events.get(event_id=f"{payment.pk}-r").state == "applied"


def test_a_named_part_and_the_payment_s_capture_converge(gateways_config: dict[str, Any]) -> None:
    part = {
        "event_id": "b",
        "type": "payment.captured",
        "reference": "part-b",
        "amount": _money(Decimal(400)),
    }
    whole = {"event_id": "a", "type": "payment.captured", "amount": _money(Decimal(600))}
    states = []
    for events in ([whole, part], [part, whole]):
        payment = make_payment(order=make_order(total="1000.00"), status=PaymentStatus.PENDING)
        for event in events:
            assert _deliver(payment, event) == "captured"
        states.append(_state(payment))
        assert payment.captured.amount == TOTAL and payment.order.status == "confirmed"
    assert states[0] == states[1]
