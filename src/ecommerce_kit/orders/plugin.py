"""The orders app's reaction to money changes (a core plugin: always registered)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecommerce_kit import hookimpl

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from ecommerce_kit.orders.models import Order
    from ecommerce_kit.payments.ledger import OrderMoney


@hookimpl
def order_money_changed(order: Order, money: OrderMoney, actor: AbstractBaseUser | None) -> None:
    from ecommerce_kit.orders.services import apply_money_status

    apply_money_status(order=order, money=money, actor=actor)
