"""The audit log: rows written at once, or together at the end of a batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ecommerce_kit.orders import audit
from ecommerce_kit.orders.models import TransitionLog
from ecommerce_kit.orders.states import OrderStatus
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def _record(order: Any, transition: str, **extra: Any) -> TransitionLog:
    return audit.record_transition(
        order=order,
        subject="order",
        subject_id=order.pk,
        transition=transition,
        source="a",
        target="b",
        **extra,
    )


def _logged(order: Any) -> list[str]:
    return list(
        TransitionLog.objects.filter(order=order, transition__startswith="t").values_list(
            "transition", flat=True
        )
    )


def test_outside_a_batch_each_row_is_written_at_once() -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PENDING)
    row = _record(order, "t1", actor=UserFactory())
    assert row.pk is not None
    assert _logged(order) == ["t1"]


def test_a_batch_writes_its_rows_in_one_insert_in_order() -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PENDING)
    with CaptureQueriesContext(connection) as context, transaction.atomic(), audit.batched():
        for name in ("t1", "t2", "t3"):
            _record(order, name, note=name)
        with audit.batched():  # nested: the outer block writes
            _record(order, "t4")
        assert _logged(order) == []
    inserts = [q["sql"] for q in context.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert _logged(order) == ["t1", "t2", "t3", "t4"]
    assert list(
        TransitionLog.objects.filter(order=order, transition="t2").values_list("source", "note")
    ) == [("a", "t2")]


def test_a_batch_that_raises_writes_nothing() -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PENDING)
    with pytest.raises(RuntimeError), transaction.atomic(), audit.batched():
        _record(order, "t1")
        raise RuntimeError
    assert _logged(order) == []
    _record(order, "t2")  # the batch is over: written at once again
    assert _logged(order) == ["t2"]


def test_unknown_subject_is_refused() -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PENDING)
    with pytest.raises(ValueError, match="Unknown audit subject"):
        audit.record_transition(
            order=order, subject="cart", subject_id=1, transition="x", source="", target=""
        )
