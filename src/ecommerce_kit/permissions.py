"""The Django permissions behind the kit's staff actions, and the one check of them.

What a staff member may see and do with orders, fulfilments and payments is decided by Django
permissions, not by ``is_staff`` alone: ``is_staff`` marks a shop staff account (and opens the
admin), and the permissions below say what that account may see and do. Hosts grant them through
groups, e.g. a "Shop staff" group (see the permissions page of the docs). Superusers hold every
permission.

The buyer of an order and the owner of a store need none of them for their own orders and their
own store's fulfilments.
"""

from __future__ import annotations

from typing import Any

#: Cancel any order up to ``processing`` (``Order.Meta.permissions``).
CANCEL_ORDER = "ecommerce_kit_orders.cancel_order"
#: Process, ship and deliver the fulfilments of any store (``Fulfilment.Meta.permissions``).
MANAGE_FULFILMENT = "ecommerce_kit_orders.manage_fulfilment"
#: Refund the captured payments of any order (``Payment.Meta.permissions``).
REFUND_PAYMENT = "ecommerce_kit_payments.refund_payment"
#: Capture authorized payments (``Payment.Meta.permissions``).
CAPTURE_PAYMENT = "ecommerce_kit_payments.capture_payment"
#: See every order (Django's default ``view`` permission of ``Order``).
VIEW_ORDER = "ecommerce_kit_orders.view_order"
#: See every fulfilment (Django's default ``view`` permission of ``Fulfilment``).
VIEW_FULFILMENT = "ecommerce_kit_orders.view_fulfilment"
#: See the payments of every order (Django's default ``view`` permission of ``Payment``).
VIEW_PAYMENT = "ecommerce_kit_payments.view_payment"


def staff_has_perm(user: Any, perm: str) -> bool:
    """Whether ``user`` is an active staff member or superuser holding the permission ``perm``.

    A permission granted to an account that is neither staff nor superuser counts for nothing
    here: the API's "staff" paths stay closed to buyers and sellers, and their requests cost no
    permission queries.

    :param user: A user, an anonymous user or ``None``.
    :param perm: ``"<app_label>.<codename>"``, e.g. :data:`CANCEL_ORDER`.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", False):
        return False
    if not (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)):
        return False
    return bool(user.has_perm(perm))
