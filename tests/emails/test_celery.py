"""Through Celery when the host has a Celery app: the task, its retries, a broker that is down."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, current_app
from kombu.exceptions import OperationalError

from ecommerce_kit import emails, tasks
from tests.emails.helpers import TRY_LATER, FlakyBackend, place_order
from tests.emails.helpers import emails as recorded
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def celery_app() -> Iterator[Celery]:
    """A host's Celery app, running tasks eagerly, current for the test."""
    previous = current_app._get_current_object()
    app = Celery("host", set_as_current=True)
    app.conf.update(task_always_eager=True)
    yield app
    previous.set_current()


@pytest.fixture
def flaky(settings: Any) -> Iterator[type[FlakyBackend]]:
    settings.EMAIL_BACKEND = "tests.emails.helpers.FlakyBackend"
    FlakyBackend.open_errors, FlakyBackend.send_errors = [], []
    yield FlakyBackend
    FlakyBackend.open_errors, FlakyBackend.send_errors = [], []


@pytest.fixture
def task_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Celery tasks each e-mail was delivered from (``""``: none)."""
    from celery import current_task

    runs: list[str] = []
    deliver = emails.deliver

    def spy(email_id: int) -> str:
        runs.append(current_task.name if current_task else "")
        return deliver(email_id)

    monkeypatch.setattr(emails, "deliver", spy)
    return runs


def test_without_a_celery_app_emails_are_sent_in_the_process(
    mailoutbox: Any, task_runs: list[str]
) -> None:
    assert not emails.celery_configured()
    place_order(UserFactory(), [(ProductFactory(), 1)])
    assert task_runs == ["", ""] and len(mailoutbox) == 2


def test_with_a_celery_app_each_email_is_sent_by_the_task(
    celery_app: Celery, mailoutbox: Any, task_runs: list[str]
) -> None:
    assert emails.celery_configured()
    place_order(UserFactory(), [(ProductFactory(), 1)])
    assert task_runs == ["ecommerce_kit.emails.send"] * 2 and len(mailoutbox) == 2


def test_the_task_retries_transient_failures_then_sends_once(
    celery_app: Celery, mailoutbox: Any, flaky: Any, kit_settings: Any
) -> None:
    kit_settings(EMAILS={"fulfilment_due": False})
    flaky.send_errors += [TRY_LATER, TRY_LATER]

    order = place_order(UserFactory(), [(ProductFactory(), 1)])

    assert len(mailoutbox) == 1
    [email] = recorded(order=order)
    assert (email.state, email.attempts) == ("sent", 3)


def test_a_broker_that_is_down_leaves_the_email_pending_for_the_sweep(
    celery_app: Celery, mailoutbox: Any, kit_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit_settings(EMAILS={"fulfilment_due": False})

    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.send_email, "delay", down)
        order = place_order(UserFactory(), [(ProductFactory(), 1)])  # the checkout succeeds

    [email] = recorded(order=order)
    assert email.state == "pending" and mailoutbox == []
    assert tasks.send_pending_emails.delay().get() == 0  # too recent
    assert emails.send_pending_emails(older_than=emails.timedelta(0)) == 1
    assert len(mailoutbox) == 1


def test_task_options() -> None:
    task = tasks.send_email
    assert task.name == "ecommerce_kit.emails.send"
    assert task.acks_late is True
    assert task.autoretry_for == (emails.RetryableEmailError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (30, 3600, True)
    assert task.max_retries == 8
    assert tasks.send_pending_emails.acks_late is True
