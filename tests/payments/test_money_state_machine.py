"""A hypothesis state machine over checkout, payments, provider events, refunds and fulfilment.

Rules drive the real services against the dummy gateway: checkouts of one or two stores' goods
paid with every test token (some asking the gateway to time out once), payments retried, provider
events emitted into an outbox and delivered shuffled and duplicated (captures, partial captures,
failures, voids, refunds made at the provider, echoes of the kit's own refunds), staff refunds,
captures and cancels, sellers processing, shipping, delivering and cancelling their part, the
payment timeout and the retry task. After every step the books are checked:

- every payment's stored totals and status are what its ledger says, and refunded <= charged;
- every order's money status is what its payments hold, and its status agrees with it: a
  confirmed or processing order holds what it is owed, and so does a shipped or delivered one
  unless money was taken away at the provider after it shipped;
- stock is conserved: initial = on hand + reserved by live fulfilments + shipped;
- no idempotency key and no provider reference is used by two ledger rows;
- every order, fulfilment and payment has one audit row per transition: the rows chain from the
  first status to the current one.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moneyed import Money

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.exceptions import EcommerceKitError
from ecommerce_kit.orders import services as orders
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem, TransitionLog
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments import ledger
from ecommerce_kit.payments import services as payments
from ecommerce_kit.payments.dummy import sign
from ecommerce_kit.payments.models import LedgerEntry, Payment, WebhookEvent
from ecommerce_kit.payments.states import EntryKind, EntrySource, EntryState
from tests.factories import ProductFactory, ShopStaffFactory, StoreFactory, UserFactory
from tests.orders.factories import ADDRESS
from tests.payments.conftest import WEBHOOK_SECRET

STOCK = 6
TOKENS = ["tok_success", "tok_authorize", "tok_pending", "tok_decline", "tok_error"]
EVENTS = [
    "authorized",
    "captured",
    "captured_part",
    "failed",
    "voided",
    "refunded_part",
    "refund_echo",
]


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.buyer = UserFactory()
        self.staff = ShopStaffFactory()
        self.stores = [StoreFactory(), StoreFactory()]
        self.products = [
            ProductFactory(store=store, price=Money(price, "AOA"), stock_quantity=STOCK)
            for store, price in zip(self.stores, ("100.00", "250.00"), strict=True)
        ]
        self.outbox: list[dict[str, Any]] = []
        self.events = 0
        # Money taken away at the provider after the order shipped (nothing can pull it back).
        self.lost_after_shipping: set[int] = set()

    # --- Helpers ------------------------------------------------------------------------------

    def _orders(self) -> list[Order]:
        return list(Order.objects.filter(buyer=self.buyer).order_by("id"))

    def _order(self, index: int) -> Order | None:
        found = self._orders()
        return found[index % len(found)] if found else None

    def _payment(self, order: Order) -> Payment | None:
        return Payment.objects.filter(order=order).order_by("-id").first()

    def _try(self, call: Any) -> Any:
        try:
            return call()
        except EcommerceKitError:
            return None

    # --- Buying and paying --------------------------------------------------------------------

    @rule(
        quantities=st.tuples(st.integers(0, 3), st.integers(0, 3)).filter(any),
        token=st.sampled_from(TOKENS),
        timeouts=st.lists(st.sampled_from(["capture", "refund", "void"]), unique=True),
    )
    def checkout(self, quantities: tuple[int, int], token: str, timeouts: list[str]) -> None:
        cart, _ = Cart.objects.get_or_create(user=self.buyer, defaults={"currency": "AOA"})
        CartItem.objects.filter(cart=cart).delete()
        Cart.objects.filter(pk=cart.pk).update(currency="AOA")
        for product, quantity in zip(self.products, quantities, strict=True):
            if quantity:
                CartItem.objects.create(cart=cart, product=product, quantity=quantity)
        self._try(
            lambda: payments.checkout(
                user=self.buyer,
                shipping_address=dict(ADDRESS),
                payment_method="dummy",
                payment_data={"token": token, "timeout_once": timeouts},
                expected_total=None,
                idempotency_key=None,
            )
        )

    @rule(index=st.integers(0, 20), token=st.sampled_from(TOKENS))
    def pay_again(self, index: int, token: str) -> None:
        order = self._order(index)
        if order is not None:
            self._try(
                lambda: payments.pay_order(
                    order_id=order.pk,
                    actor=self.buyer,
                    payment_method="dummy",
                    payment_data={"token": token},
                )
            )

    # --- The provider's events ----------------------------------------------------------------

    @rule(index=st.integers(0, 20), kind=st.sampled_from(EVENTS), cents=st.integers(1, 100_000))
    def emit(self, index: int, kind: str, cents: int) -> None:
        """The provider writes an event about an order's latest payment (delivered later)."""
        order = self._order(index)
        payment = self._payment(order) if order else None
        if payment is None:
            return
        self.events += 1
        event: dict[str, Any] = {
            "event_id": f"{payment.pk}-e{self.events}",
            "payment_id": payment.pk,
        }
        part = Money(Decimal(cents) / 100, "AOA")
        if kind == "authorized":
            event["type"] = "payment.authorized"
        elif kind == "captured":
            event["type"] = "payment.captured"
        elif kind == "captured_part":
            event.update(type="payment.captured", reference=f"cap-{self.events}")
            event["amount"] = {
                "amount": f"{min(part, payment.amount).amount:.2f}",
                "currency": "AOA",
            }
        elif kind == "failed":
            event["type"] = "payment.failed"
        elif kind == "voided":
            event["type"] = "payment.voided"
        elif kind == "refunded_part":
            event["type"] = "payment.refunded"
            event["amount"] = {
                "amount": f"{min(part, payment.amount).amount:.2f}",
                "currency": "AOA",
            }
        else:  # the provider's event about a refund the kit made
            refunds = list(
                LedgerEntry.objects.filter(payment=payment, kind=EntryKind.REFUND)
                .exclude(idempotency_key=None)
                .order_by("id")
            )
            if not refunds:
                return
            refund = refunds[cents % len(refunds)]
            event.update(type="payment.refunded", idempotency_key=refund.idempotency_key)
            event["amount"] = {"amount": f"{refund.amount.amount:.2f}", "currency": "AOA"}
        self.outbox.append(event)

    @precondition(lambda self: self.outbox)
    @rule(pick=st.integers(0, 1000), keep=st.booleans())
    def deliver(self, pick: int, keep: bool) -> None:
        """Deliver any event of the outbox; kept ones are delivered again later (duplicates)."""
        event = self.outbox[pick % len(self.outbox)]
        if not keep:
            self.outbox.remove(event)
        payment = Payment.objects.select_related("order").get(pk=event["payment_id"])
        shipped = payment.order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
        body = json.dumps(event).encode()
        headers = {"X-Dummy-Signature": sign(body, WEBHOOK_SECRET)}
        before = payment.order.held
        self._try(lambda: payments.handle_webhook(gateway_id="dummy", body=body, headers=headers))
        after = Order.objects.get(pk=payment.order_id)
        if shipped and after.held < before:
            self.lost_after_shipping.add(after.pk)

    # --- Staff --------------------------------------------------------------------------------

    @rule(index=st.integers(0, 20), cents=st.one_of(st.none(), st.integers(1, 100_000)))
    def staff_refund(self, index: int, cents: int | None) -> None:
        order = self._order(index)
        if order is not None:
            amount = None if cents is None else Money(Decimal(cents) / 100, "AOA")
            self._try(lambda: payments.refund_order(order=order, amount=amount, actor=self.staff))

    @rule(index=st.integers(0, 20))
    def staff_capture(self, index: int) -> None:
        order = self._order(index)
        payment = self._payment(order) if order else None
        if payment is not None:
            self._try(lambda: payments.capture_payment(payment_id=payment.pk, actor=self.staff))

    @rule(index=st.integers(0, 20), by_staff=st.booleans())
    def cancel(self, index: int, by_staff: bool) -> None:
        order = self._order(index)
        if order is not None:
            actor = self.staff if by_staff else self.buyer
            self._try(lambda: orders.cancel_order(order_id=order.pk, actor=actor))

    # --- Sellers ------------------------------------------------------------------------------

    @rule(
        index=st.integers(0, 20),
        store=st.integers(0, 1),
        action=st.sampled_from(["process", "ship", "deliver", "cancel"]),
    )
    def fulfil(self, index: int, store: int, action: str) -> None:
        order = self._order(index)
        if order is None:
            return
        fulfilment = Fulfilment.objects.filter(order=order, store=self.stores[store]).first()
        if fulfilment is None:
            return
        owner = self.stores[store].owner
        call = {
            "process": lambda: orders.process_fulfilment(fulfilment_id=fulfilment.pk, actor=owner),
            "ship": lambda: orders.ship_fulfilment(fulfilment_id=fulfilment.pk, actor=owner),
            "deliver": lambda: orders.deliver_fulfilment(fulfilment_id=fulfilment.pk, actor=owner),
            "cancel": lambda: orders.cancel_fulfilment(fulfilment_id=fulfilment.pk, actor=owner),
        }[action]
        moved = self._try(call)
        if moved is not None and action in ("process", "ship", "deliver"):
            order.refresh_from_db()
            assert order.held >= order.due, "a fulfilment moved on without the money for it"

    # --- Time ---------------------------------------------------------------------------------

    @rule(index=st.integers(0, 20))
    def payment_timeout(self, index: int) -> None:
        order = self._order(index)
        if order is not None:
            Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=30))
            orders.cancel_unpaid_orders()

    @rule()
    def retry_task(self) -> None:
        payments.retry_open_entries(older_than=timedelta(0))

    # --- Invariants ---------------------------------------------------------------------------

    @invariant()
    def payments_agree_with_their_ledger(self) -> None:
        for payment in Payment.objects.filter(order__buyer=self.buyer):
            totals = ledger.payment_totals(payment.entries.all(), payment.currency)
            assert totals.refunded <= totals.captured
            assert totals.refunded + totals.refund_pending <= totals.captured
            assert (
                payment.status,
                payment.authorized.amount,
                payment.captured.amount,
                payment.refunded.amount,
                payment.refund_pending.amount,
                payment.voided.amount,
            ) == (
                totals.status,
                totals.authorized,
                totals.captured,
                totals.refunded,
                totals.refund_pending,
                totals.voided,
            ), payment.pk

    @invariant()
    def orders_hold_what_their_status_says(self) -> None:
        for order in self._orders():
            money = ledger.order_money(
                total=order.total,
                cancelled=order.cancelled_amount,
                payments=[
                    ledger.payment_totals(p.entries.all(), p.currency)
                    for p in Payment.objects.filter(order=order)
                ],
            )
            assert (order.held, order.charged, order.refunded) == (
                money.held,
                money.charged,
                money.refunded,
            ), order.number
            assert order.charge_status == money.charge_status
            assert order.refunded <= order.charged
            covered = money.covered and (money.held.amount > 0 or money.due.amount <= 0)
            if order.status in (OrderStatus.CONFIRMED, OrderStatus.PROCESSING):
                assert covered, (order.number, order.status, money)
            if order.status == OrderStatus.ON_HOLD:
                assert not covered, (order.number, money)
            if order.status == OrderStatus.PENDING:
                assert money.held.amount == 0, (order.number, money)
            if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
                assert covered or order.pk in self.lost_after_shipping, (order.number, money)

    @invariant()
    def stock_is_conserved(self) -> None:
        for product in Product.objects.filter(pk__in=[p.pk for p in self.products]):
            lines = OrderItem.objects.filter(product=product)
            reserved = sum(
                lines.filter(
                    fulfilment__status__in=[FulfilmentStatus.PENDING, FulfilmentStatus.PROCESSING]
                ).values_list("quantity", flat=True)
            )
            shipped = sum(
                lines.filter(
                    fulfilment__status__in=[FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED]
                ).values_list("quantity", flat=True)
            )
            assert STOCK == product.stock_quantity + reserved + shipped, product.pk

    @invariant()
    def keys_and_references_are_used_once(self) -> None:
        entries = LedgerEntry.objects.filter(payment__order__buyer=self.buyer)
        keys = entries.exclude(idempotency_key=None).values("idempotency_key")
        assert not keys.annotate(n=Count("id")).filter(n__gt=1).exists()
        references = (
            entries.exclude(reference="")
            .exclude(state=EntryState.FAILED)
            .values("payment", "kind", "reference")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not references.exists()

    @invariant()
    def one_audit_row_per_transition(self) -> None:
        for order in self._orders():
            subjects: list[tuple[str, Any, str]] = [("order", order, "")]
            subjects += [("fulfilment", f, "pending") for f in order.fulfilments.all()]
            subjects += [("payment", p, "pending") for p in order.payments.all()]
            for subject, instance, start in subjects:
                rows = TransitionLog.objects.filter(
                    order=order, subject=subject, subject_id=instance.pk
                ).order_by("id")
                status = start
                for row in rows:
                    assert row.source == status, (subject, instance.pk, list(rows.values()))
                    assert row.target != row.source or subject == "order"
                    status = row.target
                assert status == instance.status, (subject, instance.pk, status)

    def teardown(self) -> None:
        # What the provider still had to say, said at last: the books still balance.
        for event in list(self.outbox):
            body = json.dumps(event).encode()
            headers = {"X-Dummy-Signature": sign(body, WEBHOOK_SECRET)}
            self._try(
                lambda body=body, headers=headers: payments.handle_webhook(
                    gateway_id="dummy", body=body, headers=headers
                )
            )
        for _attempt in range(3):  # a call planned by a retry may time out once itself
            payments.retry_open_entries(older_than=timedelta(0))
        self.payments_agree_with_their_ledger()
        assert (
            not WebhookEvent.objects.filter(payment__order__buyer=self.buyer, state="deferred")
            .filter(~Q(event_type="payment.refunded"))
            .exists()
        )
        assert not LedgerEntry.objects.filter(
            payment__order__buyer=self.buyer, state__in=[EntryState.REQUESTED, EntryState.UNKNOWN]
        ).exists(), "an open call was never settled"
        assert not LedgerEntry.objects.filter(
            payment__order__buyer=self.buyer, source=EntrySource.SYSTEM, state=EntryState.FAILED
        ).exists()


@pytest.mark.django_db(transaction=True)
def test_money_state_machine(gateways_config: dict[str, Any]) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            # MONEY_MACHINE_EXAMPLES=500 runs a longer search than the suite's.
            max_examples=int(os.environ.get("MONEY_MACHINE_EXAMPLES", "25")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
