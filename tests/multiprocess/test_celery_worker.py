"""Celery for real: a worker process on a real Redis runs the kit's tasks, and survives a kill.

The test process plays the web site: it places and cancels orders with the test settings and a
host's Celery app (``celery_host``) made current, so the kit queues its tasks on Redis. A
``celery worker`` subprocess on the same database runs them, writing e-mails to files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.db import connection
from django.utils import timezone

from ecommerce_kit.orders.models import Order, OrderEmail, TransitionLog
from ecommerce_kit.orders.states import OrderStatus
from tests.emails.helpers import cancel, place_order
from tests.factories import ProductFactory, UserFactory
from tests.multiprocess.servers import REPO, Process, wait_for
from tests.orders.factories import make_order
from tests.payments.conftest import WEBHOOK_SECRET

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def host_app(redis_url: str, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Any]:
    """The host's Celery app on the test Redis, current in this process."""
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": WEBHOOK_SECRET}},
    }
    monkeypatch.setenv("REDIS_URL", redis_url)
    sys.modules.pop("tests.multiprocess.celery_host", None)
    from tests.multiprocess import celery_host

    previous = current_app._get_current_object()
    celery_host.app.set_current()
    yield celery_host.app
    celery_host.app.close()
    previous.set_current()


@pytest.fixture
def worker(tmp_path: Path, redis_url: str, host_app: Any) -> Iterator[Callable[[], Process]]:
    """Start ``celery worker`` processes (one at a time) on the test database; stop them after."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.multiprocess.worker_settings",
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "EMAIL_FILE_PATH": str(outbox),
        "REDIS_URL": redis_url,
        "SLOW_MARKER": str(tmp_path / "slow"),
        "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src"), str(REPO), str(REPO / "example_project")]
        ),
    }
    started: list[Process] = []

    def start() -> Process:
        process = Process(
            f"worker-{len(started) + 1}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.multiprocess.celery_host",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO,
            env=env,
            log=tmp_path / f"worker-{len(started) + 1}.log",
        )
        started.append(process)
        wait_for(lambda: "ready." in process.output(), what=process.name, process=process)
        return process

    start.outbox = outbox  # type: ignore[attr-defined]
    start.slow = tmp_path / "slow"  # type: ignore[attr-defined]
    yield start
    for process in started:
        process.stop()


def messages(outbox: Path) -> list[Any]:
    """Every message in the outbox. Django's file backend names a file after the second and the
    backend object's id, so two connections opened in one second may append to one file; each
    message in it ends with a line of 79 dashes."""
    found = []
    for path in sorted(outbox.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(message_from_bytes(chunk))
    return found


def sent_emails(**filters: Any) -> list[tuple[str, str]]:
    return list(OrderEmail.objects.filter(**filters).values_list("kind", "state").order_by("id"))


def test_worker_sends_order_emails_and_runs_periodic_tasks(worker):
    process = worker()
    buyer = UserFactory(email="buyer@example.com")
    order = place_order(buyer, [(ProductFactory(stock_quantity=5), 2)])

    wait_for(
        lambda: (
            sent_emails(order=order) == [("order_confirmed", "sent"), ("fulfilment_due", "sent")]
        ),
        what="the confirmation e-mails",
        process=process,
    )
    cancel(order, buyer)
    wait_for(
        lambda: ("order_cancelled", "sent") in sent_emails(order=order),
        what="the cancellation e-mail",
        process=process,
    )
    # Each e-mail went through the worker's mail backend once.
    wait_for(lambda: len(messages(worker.outbox)) == 3, what="three e-mails", timeout=10)
    recipients = [message["To"] for message in messages(worker.outbox)]
    assert recipients.count("buyer@example.com") == 2
    assert "ecommerce_kit.emails.send" in process.output()

    # A periodic task, queued as beat would queue it.
    product = ProductFactory(stock_quantity=4)
    unpaid = make_order(lines=[(product, 3)])
    Order.objects.filter(pk=unpaid.pk).update(created_at=timezone.now() - timedelta(hours=2))
    from ecommerce_kit.orders.tasks import cancel_unpaid_orders

    cancel_unpaid_orders.delay()
    wait_for(
        lambda: Order.objects.get(pk=unpaid.pk).status == OrderStatus.CANCELLED,
        what="cancel_unpaid_orders",
        process=process,
    )
    product.refresh_from_db()
    assert product.stock_quantity == 4


def test_task_of_a_killed_worker_is_done_once_after_restart(worker):
    product = ProductFactory(stock_quantity=10)
    orders = [make_order(lines=[(product, 2)]) for _ in range(3)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    product.refresh_from_db()
    assert product.stock_quantity == 4
    worker.slow.write_text("slow")
    first = worker()
    from ecommerce_kit.orders.tasks import cancel_unpaid_orders

    cancel_unpaid_orders.delay()
    started = Path(str(worker.slow) + ".started")
    # The first order's cancellation is committed; the worker is stuck after it.
    wait_for(started.exists, what="the slow task", process=first)
    first.kill()
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 1

    worker.slow.unlink()
    second = worker()
    # acks_late: the message the dead worker held goes back to the queue and is run again.
    wait_for(
        lambda: Order.objects.filter(status=OrderStatus.CANCELLED).count() == 3,
        what="the redelivered task",
        process=second,
        timeout=30,
    )
    product.refresh_from_db()
    assert product.stock_quantity == 10  # each order restocked once
    for order in orders:
        assert (
            TransitionLog.objects.filter(order=order, subject="order", transition="cancel").count()
            == 1
        )
