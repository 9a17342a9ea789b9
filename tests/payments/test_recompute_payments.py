"""``manage.py recompute_payments [--check]``: stored totals are compared with the ledger."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from moneyed import Money

from ecommerce_kit.orders.models import Order
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.payments.states import PaymentStatus
from tests.payments.factories import make_order, make_payment

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("recompute_payments", *args, stdout=out)
    return out.getvalue()


def test_check_passes_when_every_payment_agrees_with_its_ledger(
    gateways_config: dict[str, Any],
) -> None:
    make_payment()
    make_payment(status=PaymentStatus.AUTHORIZED)
    assert "agrees" in _run("--check")


def test_only_an_order_drifted(gateways_config: dict[str, Any]) -> None:
    payment = make_payment()
    Order.objects.filter(pk=payment.order_id).update(charge_status="none")
    with pytest.raises(CommandError, match="1 differences"):
        call_command("recompute_payments", "--check", stdout=StringIO())
    _run()
    assert Order.objects.get(pk=payment.order_id).charge_status == "full"


def test_check_reports_drift_and_a_run_repairs_it(gateways_config: dict[str, Any]) -> None:
    payment = make_payment(order=make_order(total="800.00"))
    order = payment.order
    # Someone wrote the rows by hand (a bad data migration, a manual UPDATE).
    Payment.objects.filter(pk=payment.pk).update(
        refunded=Money("100.00", "AOA"), status=PaymentStatus.PARTIALLY_REFUNDED
    )
    Order.objects.filter(pk=order.pk).update(held=Money("700.00", "AOA"))

    with pytest.raises(CommandError, match="3 differences"):
        out = StringIO()
        call_command("recompute_payments", "--check", stdout=out)
    assert (
        f"payment {payment.pk}: refunded is 100.00 AOA, the ledger says 0.00 AOA" in out.getvalue()
    )
    assert f"order {order.number}: held is 700.00 AOA, the ledger says 800.00 AOA" in out.getvalue()
    payment.refresh_from_db()
    assert payment.refunded == Money("100.00", "AOA")  # --check changes nothing

    assert "3 differences repaired" in _run()
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.refunded) == (PaymentStatus.CAPTURED, Money(0, "AOA"))
    assert order.held == Money("800.00", "AOA")
    assert "agrees" in _run("--check")
