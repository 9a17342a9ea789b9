"""Through Celery when the host has a Celery app: the task, its retries, a broker that is down."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, _state, current_app
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
def default_celery_app() -> Iterator[Celery]:
    """A host's app that is also Celery's default app, as Celery's Django fix-up makes the first
    app a process creates (the example site's, in its web processes)."""
    previous, previous_default = current_app._get_current_object(), _state.default_app
    app = Celery("host", set_as_current=True)
    app.set_default()
    app.conf.update(task_always_eager=True)
    yield app
    _state.set_default_app(previous_default)
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


def test_a_host_app_that_is_also_celerys_default_app_sends_through_the_task(
    default_celery_app: Celery, mailoutbox: Any, task_runs: list[str]
) -> None:
    assert emails.celery_configured()
    place_order(UserFactory(), [(ProductFactory(), 1)])
    assert task_runs == ["ecommerce_kit.emails.send"] * 2 and len(mailoutbox) == 2


def test_the_example_sites_web_process_queues_the_emails_on_its_celery_app() -> None:
    """A fresh process loads the site as gunicorn does (``config.wsgi``): the site's app is then
    both Celery's current and default app, and the kit sends its e-mails through it."""
    code = (
        "import config.wsgi\n"
        "from celery import current_app\n"
        "from celery.app import default_app\n"
        "from ecommerce_kit import emails\n"
        "print(current_app.main, default_app.main, emails.celery_configured())\n"
    )
    example = Path(__file__).resolve().parents[2] / "example_project"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "PYTHONPATH": os.pathsep.join([str(example.parent / "src"), str(example)]),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=example,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["config", "config", "True"]


def test_run_eagerly_a_transient_failure_is_not_retried_in_the_request(
    celery_app: Celery, mailoutbox: Any, flaky: Any, kit_settings: Any
) -> None:
    """Without a worker (``task_always_eager``) Celery would retry at once, inside the checkout
    request, up to ``max_retries`` times: one attempt, then the sweep sends it."""
    kit_settings(EMAILS={"fulfilment_due": False})
    flaky.send_errors += [TRY_LATER, TRY_LATER]

    order = place_order(UserFactory(), [(ProductFactory(), 1)])  # the checkout succeeds

    [email] = recorded(order=order)
    assert (email.state, email.attempts, mailoutbox) == ("pending", 1, [])
    assert emails.send_pending_emails(older_than=emails.timedelta(0)) == 0  # still 4xx
    assert emails.send_pending_emails(older_than=emails.timedelta(0)) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts, len(mailoutbox)) == ("sent", 3, 1)


def test_on_a_worker_the_task_hands_transient_failures_to_celerys_retry(
    mailoutbox: Any, flaky: Any, kit_settings: Any
) -> None:
    """Not eager (a worker runs it): the failure goes to Celery's retry (``autoretry_for``)."""
    kit_settings(EMAILS={"fulfilment_due": False, "order_confirmed": False})
    order = place_order(UserFactory(), [(ProductFactory(), 1)])
    email = emails.OrderEmail.objects.create(
        order=order, kind="order_confirmed", subject_id=order.pk
    )
    flaky.send_errors += [TRY_LATER]

    with pytest.raises(emails.RetryableEmailError):
        tasks.send_email(email.pk)  # called as a worker calls it: not eager

    email.refresh_from_db()
    assert (email.state, email.attempts, mailoutbox) == ("pending", 1, [])


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
    assert task.ignore_result is True
    assert task.autoretry_for == (emails.RetryableEmailError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (30, 3600, True)
    assert task.max_retries == 8
    assert tasks.send_pending_emails.acks_late is True
