"""Each e-mail is sent once for its change: repeated hooks and tasks, races, crashes, retries."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from ecommerce_kit import emails
from ecommerce_kit.orders.models import OrderEmail
from ecommerce_kit.plugins import get_plugin_manager
from ecommerce_kit.tasks import send_email
from tests.emails.helpers import (
    REJECTED,
    TRY_LATER,
    FlakyBackend,
    committed,
    move,
    place_order,
    refund,
)
from tests.emails.helpers import emails as recorded
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timedelta(0)


@pytest.fixture
def flaky(settings: Any) -> Iterator[type[FlakyBackend]]:
    settings.EMAIL_BACKEND = "tests.emails.helpers.FlakyBackend"
    FlakyBackend.open_errors, FlakyBackend.send_errors = [], []
    yield FlakyBackend
    FlakyBackend.open_errors, FlakyBackend.send_errors = [], []


@pytest.fixture
def order(kit_settings: Any) -> Any:
    # Only the buyer's confirmation, to keep the counts simple.
    kit_settings(EMAILS={"fulfilment_due": False})
    return place_order(UserFactory(), [(ProductFactory(), 1)])


def _pending(order: Any, kind: str = "order_delivered") -> OrderEmail:
    return OrderEmail.objects.create(order=order, kind=kind, subject_id=order.pk)


def test_task_run_twice_sends_once(order: Any, mailoutbox: Any) -> None:
    email = _pending(order)
    mailoutbox.clear()

    assert send_email.apply(args=[email.pk]).get() == "sent"
    assert send_email.apply(args=[email.pk]).get() == "sent"
    assert send_email(email.pk) == "sent"

    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, email.recipient) == ("sent", 1, order.buyer.email)
    assert email.sent_at is not None


def test_hooks_fired_twice_record_and_send_each_email_once(
    shop_staff: Any, mailoutbox: Any, kit_settings: Any
) -> None:
    product = ProductFactory()
    order = place_order(UserFactory(), [(product, 2)])
    fulfilment = order.fulfilments.get()
    move(fulfilment, "process", "ship", tracking_number="TRK-1")
    refund(order, shop_staff, "100.00")
    entry = order.payments.get().entries.get(kind="refund")
    sent = len(mailoutbox)
    assert sent == 4  # confirmed, due, shipped, refunded

    hook = get_plugin_manager().hook
    for _ in range(2):
        with committed():
            hook.order_status_changed(order=order, source="on_hold", target="confirmed", actor=None)
            hook.fulfilment_status_changed(
                fulfilment=fulfilment, source="processing", target="shipped", actor=None
            )
            hook.refund_succeeded(payment=entry.payment, entry=entry)

    assert len(mailoutbox) == sent
    assert sorted(e.kind for e in recorded()) == [
        "fulfilment_due",
        "order_confirmed",
        "order_refunded",
        "order_shipped",
    ]


def test_a_second_worker_that_claims_first_sends_alone(
    order: Any, mailoutbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = _pending(order)
    mailoutbox.clear()
    prepare = emails._prepare
    inner: list[str] = []

    def race(row: OrderEmail) -> Any:
        prepared = prepare(row)
        if not inner:  # another worker gets the same e-mail and sends it meanwhile
            inner.append("racing")
            inner[0] = emails.deliver(row.pk)
        return prepared

    monkeypatch.setattr(emails, "_prepare", race)

    assert emails.deliver(email.pk) == "sent"
    assert inner == ["sent"]
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_crash_while_sending_is_not_sent_again(
    order: Any, mailoutbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = _pending(order)
    mailoutbox.clear()

    def die(message: Any) -> None:
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(emails, "_send", die)
        with pytest.raises(SystemExit):
            send_email.apply(args=[email.pk], throw=True)
    email.refresh_from_db()
    assert email.state == "sending"

    # The task is delivered again (acks_late), and the periodic sweep runs: neither resends it.
    assert send_email.apply(args=[email.pk]).get() == "sending"
    assert emails.send_pending_emails(older_than=NOW) == 0
    assert mailoutbox == []

    # Staff, who can ask the buyer, may send it again.
    assert emails.send_again([email.pk]) == 1
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.state == "sent"


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("send", TRY_LATER),
        ("send", smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")})),
        ("open", ConnectionRefusedError("connection refused")),
        ("open", smtplib.SMTPConnectError(421, b"too many connections")),
        ("open", TimeoutError("timed out")),
    ],
)
def test_transient_failure_stays_pending_and_is_sent_later(
    order: Any, mailoutbox: Any, flaky: Any, where: str, error: Exception
) -> None:
    email = _pending(order)
    mailoutbox.clear()
    (flaky.open_errors if where == "open" else flaky.send_errors).append(error)

    with pytest.raises(emails.RetryableEmailError):
        emails.deliver(email.pk)
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("pending", 1)
    assert email.error

    assert emails.send_pending_emails() == 0  # tried a moment ago: not yet
    assert emails.send_pending_emails(older_than=NOW) == 1
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, email.error) == ("sent", 2, "")


@pytest.mark.parametrize(
    "error",
    [
        REJECTED,
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        TimeoutError("timed out while sending"),
        smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}),
    ],
)
def test_failure_that_may_have_sent_it_is_not_retried(
    order: Any, mailoutbox: Any, flaky: Any, error: Exception
) -> None:
    email = _pending(order)
    mailoutbox.clear()
    flaky.send_errors.append(error)

    assert emails.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.state == "failed" and error.__class__.__name__ in email.error
    assert emails.send_pending_emails(older_than=NOW) == 0
    assert mailoutbox == []


def test_an_email_is_given_up_after_max_attempts(order: Any, flaky: Any) -> None:
    email = _pending(order)
    OrderEmail.objects.filter(pk=email.pk).update(attempts=emails.MAX_ATTEMPTS - 1)
    flaky.send_errors.append(TRY_LATER)

    assert emails.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("failed", emails.MAX_ATTEMPTS)


def test_transient_failure_in_the_request_is_logged_not_raised(
    mailoutbox: Any, flaky: Any, kit_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    kit_settings(EMAILS={"fulfilment_due": False})
    flaky.open_errors.append(ConnectionRefusedError("connection refused"))

    order = place_order(UserFactory(), [(ProductFactory(), 1)])  # the checkout still succeeds

    assert mailoutbox == []
    [email] = recorded(order=order)
    assert email.state == "pending"
    assert "stays pending" in caplog.text


def test_template_error_marks_the_email_failed(
    order: Any, mailoutbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = _pending(order)
    mailoutbox.clear()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("broken template")

    monkeypatch.setattr(emails, "render", broken)
    assert emails.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert (email.state, email.attempts, email.error) == (
        "failed",
        0,
        "ValueError: broken template",
    )
    assert mailoutbox == []


def test_user_without_address_is_skipped(mailoutbox: Any, kit_settings: Any) -> None:
    kit_settings(EMAILS={"fulfilment_due": False})
    order = place_order(UserFactory(email=""), [(ProductFactory(), 1)])

    assert mailoutbox == []
    assert [e.state for e in recorded(order=order)] == ["skipped"]


def test_send_order_emails_command_sends_what_was_left_pending(order: Any, mailoutbox: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    email = _pending(order)
    OrderEmail.objects.filter(pk=email.pk).update(created_at=email.created_at - timedelta(hours=1))
    mailoutbox.clear()
    out = StringIO()

    call_command("send_order_emails", stdout=out)

    assert out.getvalue() == "Sent 1 pending order e-mail(s).\n"
    assert len(mailoutbox) == 1


def test_schedule_many_records_each_email_once_and_sends_in_order(
    mailoutbox: Any, kit_settings: Any
) -> None:
    kit_settings(EMAILS={"order_delivered": False})
    order = place_order(UserFactory(), [(ProductFactory(), 1)])
    [due, confirmed] = sorted(recorded(order=order), key=lambda email: email.kind)
    mailoutbox.clear()
    fulfilment = order.fulfilments.get()

    scheduled = emails.schedule_many(
        order_id=order.pk,
        emails=[
            ("order_shipped", fulfilment.pk),
            ("order_confirmed", order.pk),  # recorded and sent already: neither again
            ("order_delivered", order.pk),  # turned off
            ("order_cancelled", order.pk),
        ],
    )

    assert [(email.kind, email.subject_id) for email in scheduled] == [
        ("order_shipped", fulfilment.pk),
        ("order_confirmed", order.pk),
        ("order_cancelled", order.pk),
    ]
    assert scheduled[1].pk == confirmed.pk
    # As recorded: the new ones were pending (then sent), the old one had been sent.
    assert [email.state for email in scheduled] == ["pending", "sent", "pending"]
    assert OrderEmail.objects.filter(order=order).count() == 4
    assert len(mailoutbox) == 2
    states = {email.kind: (email.state, email.sent_at) for email in recorded(order=order)}
    assert {state for state, _at in states.values()} == {"sent"}
    assert states["order_shipped"][1] <= states["order_cancelled"][1]
    assert emails.schedule_many(order_id=order.pk, emails=[("order_delivered", order.pk)]) == []
    assert due.kind == "fulfilment_due"


def test_recording_emails_is_one_statement_that_learns_what_was_sent(
    mailoutbox: Any, django_assert_num_queries: Any
) -> None:
    order = place_order(UserFactory(), [(ProductFactory(), 1)])
    fulfilment = order.fulfilments.get()
    wanted = [("order_confirmed", order.pk), ("fulfilment_due", fulfilment.pk)]
    sent = {email.pk for email in recorded(order=order) if email.state == "sent"}
    assert len(sent) == 2
    mailoutbox.clear()

    with django_assert_num_queries(1):  # nothing pending: nothing more is read or sent
        again = emails.schedule_many(order_id=order.pk, emails=wanted + wanted)

    assert {email.pk for email in again} == sent
    assert [email.state for email in again] == ["sent", "sent"]
    assert OrderEmail.objects.filter(order=order).count() == 2
    assert mailoutbox == []
