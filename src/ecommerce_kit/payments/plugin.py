"""The payments app's reaction to cancelled goods (a core plugin: always registered)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecommerce_kit import hookimpl

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from moneyed import Money

    from ecommerce_kit.orders.models import Order


@hookimpl
def fulfilments_cancelled(
    order: Order,
    amount: Money,
    everything: bool,
    refund: Money | None,
    actor: AbstractBaseUser | None,
) -> None:
    from ecommerce_kit.payments.services import on_fulfilments_cancelled

    on_fulfilments_cancelled(
        order=order, amount=amount, everything=everything, refund=refund, actor=actor
    )
