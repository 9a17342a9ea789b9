"""The shop drill (``scripts/shop_drill.py``): the example site with gunicorn, a Celery worker and
beat on PostgreSQL and Redis, under a mixed load and a killed worker, its books checked after.

The drill itself runs on the suite's PostgreSQL leg (it creates a database of its own on the
server of ``DATABASE_URL``); the checks it makes are tested here on their own, so that a broken
book is seen to fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.multiprocess.servers import REPO, redis_server_binary

SCRIPT = REPO / "scripts" / "shop_drill.py"


def load_drill() -> Any:
    spec = importlib.util.spec_from_file_location("shop_drill", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("shop_drill", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


drill = load_drill()


def write_outbox(outbox: Path, messages: list[tuple[str, str, str]]) -> None:
    """Write messages as Django's file backend does: several per file, each ending with a line of
    79 dashes."""
    outbox.mkdir(exist_ok=True)
    chunks = []
    for to, subject, body in messages:
        message = EmailMessage()
        message["To"], message["Subject"], message["From"] = to, subject, "shop@example.com"
        message.set_content(body)
        chunks.append(message.as_bytes() + b"\n" + b"-" * 79 + b"\n")
    (outbox / "20261207-133700-1.log").write_bytes(b"".join(chunks[:2]))
    (outbox / "20261207-133700-2.log").write_bytes(b"".join(chunks[2:]))


ROWS = [
    ("EK-ABCD-EFGH", "order_confirmed", "sent", "ana@example.com"),
    ("EK-ABCD-EFGH", "fulfilment_due", "sent", "seller@example.com"),
    ("EK-ABCD-EFGH", "order_refunded", "sent", "ana@example.com"),
]
WRITTEN = [
    ("ana@example.com", "Order EK-ABCD-EFGH confirmed", "Thank you."),
    ("seller@example.com", "New order EK-ABCD-EFGH for Loja", "Ship it."),
    ("ana@example.com", "Reembolso da sua encomenda EK-ABCD-EFGH", "1 250,00 Kz"),
]


def test_emails_match_when_each_recorded_email_was_written_once(tmp_path):
    write_outbox(tmp_path / "outbox", WRITTEN)

    problems, states = drill.compare_emails(
        ROWS, drill.outbox_messages(tmp_path / "outbox"), may_be_stuck=0
    )

    assert problems == []
    assert states["sent"] == 3


def test_emails_sent_twice_or_never_are_reported(tmp_path):
    write_outbox(tmp_path / "outbox", [*WRITTEN, WRITTEN[0]])
    messages = drill.outbox_messages(tmp_path / "outbox")

    problems, _states = drill.compare_emails(ROWS, messages, may_be_stuck=4)
    assert "EK-ABCD-EFGH to ana@example.com: 2 e-mails recorded as sent, 3 written" in problems
    assert any(p.startswith("the same message twice to ana@example.com") for p in problems)

    problems, _states = drill.compare_emails(ROWS, messages[1:3], may_be_stuck=0)
    assert problems == ["EK-ABCD-EFGH to ana@example.com: 2 e-mails recorded as sent, 1 written"]


def test_emails_pending_failed_or_stuck_are_reported(tmp_path):
    write_outbox(tmp_path / "outbox", WRITTEN)
    messages = drill.outbox_messages(tmp_path / "outbox")
    rows = [
        *ROWS,
        ("EK-ABCD-EFGH", "order_shipped", "pending", "ana@example.com"),
        ("EK-ABCD-EFGH", "order_delivered", "failed", "ana@example.com"),
        ("EK-WXYZ-2345", "order_cancelled", "sending", "bo@example.com"),
    ]

    problems, _states = drill.compare_emails(rows, messages, may_be_stuck=0)

    assert "1 e-mails still pending" in problems
    assert "1 e-mails failed" in problems
    assert "1 e-mails stuck sending (at most 0)" in problems
    # A worker killed between the claim and "sent" leaves one stuck, sent at most once: allowed
    # only when a worker was killed.
    problems, _states = drill.compare_emails(rows[:3] + rows[5:], messages, may_be_stuck=4)
    assert problems == []


@pytest.mark.django_db
def test_stock_check_finds_units_that_went_missing():
    from django.db.models import F

    from ecommerce_kit.catalog.models import Product
    from ecommerce_kit.orders.services import cancel_order
    from tests.factories import ProductFactory
    from tests.orders.factories import make_order

    product = ProductFactory(stock_quantity=10)
    initial = drill.stock_snapshot()
    make_order(lines=[(product, 3)])
    cancel_order(order_id=make_order(lines=[(product, 2)]).pk, actor=None)

    check = drill.check_stock(initial)
    assert check.ok, check.detail
    assert "3 units held by live lines, 2 given back by cancellations" in check.detail

    Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") - 1)
    check = drill.check_stock(initial)
    assert not check.ok
    assert check.detail == f"product {product.pk}: 10 before, 6 now + 3 held by lines"


@pytest.mark.django_db
def test_ledger_check_finds_a_payment_that_disagrees_with_its_ledger():
    from moneyed import Money

    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.orders.states import OrderStatus
    from ecommerce_kit.payments.models import Payment
    from tests.factories import ProductFactory
    from tests.orders.factories import make_order
    from tests.payments.factories import make_payment

    order = make_order(lines=[(ProductFactory(stock_quantity=5), 1)])
    payment = make_payment(order=order)
    assert drill.check_ledger().ok

    Payment.objects.filter(pk=payment.pk).update(captured=Money(1, order.currency))
    check = drill.check_ledger()
    assert not check.ok and f"payment {payment.pk}: captured" in check.detail

    Payment.objects.filter(pk=payment.pk).update(captured=order.total)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    check = drill.check_ledger()
    assert not check.ok and f"cancelled order {order.number} still holds" in check.detail


@pytest.mark.django_db
def test_a_refund_whose_process_died_before_the_call_is_made_at_the_end(settings, monkeypatch):
    """A web process killed between reserving a staff refund and calling the provider leaves
    the refund ``requested``: the order keeps money it no longer owes until the periodic retry
    makes the call. The drill makes it (``send_open_calls``) before checking the books."""
    from moneyed import Money

    from ecommerce_kit.payments import services
    from tests.factories import ProductFactory, ShopStaffFactory
    from tests.orders.factories import make_order
    from tests.payments.factories import make_payment

    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "whsec_drill"}},
    }
    order = make_order(lines=[(ProductFactory(stock_quantity=5), 2)])
    make_payment(order=order, reference="dummy_drill_refund")
    part = Money(order.total.amount / 2, order.currency)

    def killed(*args, **kwargs):
        raise SystemExit("web worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_call_entries", killed)
        with pytest.raises(SystemExit):
            services.refund_order(order=order, amount=part, actor=ShopStaffFactory())

    check = drill.check_ledger()
    assert not check.ok and f"order {order.number} keeps" in check.detail

    assert drill.send_open_calls() == 1
    check = drill.check_ledger(late_calls=1)
    assert check.ok, check.detail
    assert "1 payment calls recorded but not made by the killed web worker" in check.detail
    order.refresh_from_db()
    assert order.refunded == part


def test_access_log_statuses_count_each_answer(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        '200 GET "/api/v1/products/" 0.012\n502 POST "/api/v1/checkout/" 0.4\n'
        "[2026-12-07 13:40:01 +0000] [12] [INFO] not an access line\n"
        '200 GET "/api/v1/cart/" 0.003\n'
    )

    assert drill.access_log_statuses(log) == {200: 2, 502: 1}


def test_help_describes_the_options():
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0
    for option in ("--duration", "--clients", "--kill-worker", "--kill-web", "--keep"):
        assert option in done.stdout


@pytest.mark.multiprocess
@pytest.mark.postgres
def test_drill_keeps_the_books_under_load_and_a_killed_worker():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip(
            "the shop drill runs the example site on PostgreSQL: it runs on the suite's "
            "PostgreSQL leg (DATABASE_URL), where it creates a database of its own"
        )
    redis_server_binary()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}

    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(SCRIPT),
            "--duration",
            "20",
            "--clients",
            "4",
            "--kill-worker",
            "--kill-web",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-12000:]
    assert "Shop drill passed" in done.stdout
    for check in ("stock conserved", "ledgers balanced", "e-mails sent once", "no 5xx"):
        assert f"[ok] {check}: " in done.stdout
    assert "[ok] Celery drained: 0 messages queued, 0 unacknowledged, 0 e-mails pending" in output
    events = dict(
        (name.strip(), int(n))
        for name, n in re.findall(r"^  ([a-zA-Z][\w :()]+?)\s{2,}(\d+)$", done.stdout, re.M)
    )
    assert events["Celery workers killed"] == 1
    assert events["gunicorn workers killed"] == 1
    # Each client does each kind of action once before the random mix, and checks out in each
    # of the gateway's modes first.
    for event in (
        "orders placed (tok_success)",
        "orders placed (tok_pending)",
        "orders placed (tok_authorize)",
        "anonymous carts merged",
    ):
        assert events.get(event, 0) > 0, (event, events)
    sent = re.search(r"e-mails sent once: \d+ recorded .*?; (\d+) sent", done.stdout)
    assert sent is not None and int(sent.group(1)) > 0
