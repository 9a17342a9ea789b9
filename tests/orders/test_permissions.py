"""Who may move money and goods through the API: Django permissions, not ``is_staff`` alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from moneyed import Money

from ecommerce_kit import permissions
from ecommerce_kit.orders.models import (
    Fulfilment,
    Order,
    TransitionLog,
    can_cancel_order,
    can_fulfil,
)
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from ecommerce_kit.payments.models import LedgerEntry
from ecommerce_kit.payments.states import PaymentStatus
from tests.factories import (
    SHOP_STAFF_PERMISSIONS,
    ProductFactory,
    ShopStaffFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
    permission,
)
from tests.orders.factories import make_order
from tests.payments.factories import make_payment

pytestmark = pytest.mark.django_db

VIEW_ONLY = ("ecommerce_kit_orders.view_order", "ecommerce_kit_payments.view_payment")
VIEW_EVERYTHING = (*VIEW_ONLY, "ecommerce_kit_orders.view_fulfilment")


def _paid_order(**kwargs: Any) -> Order:
    order = make_order(
        lines=[(ProductFactory(price=Money("1000.00", "AOA")), 1), (ProductFactory(), 2)],
        status=kwargs.pop("status", OrderStatus.CONFIRMED),
        **kwargs,
    )
    status = PaymentStatus.PENDING if order.status == OrderStatus.PENDING else None
    extra = {"status": status} if status else {}
    make_payment(order=order, reference=f"dummy_{order.pk}", **extra)
    order.refresh_from_db()
    return order


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, format="json")


def _assert_denied(response: Any) -> None:
    assert response.status_code == 403, response.data
    assert response.data == {
        "error": "You do not have permission to perform this action.",
        "code": "permission_denied",
        "status_code": 403,
    }


# --- View-only staff: 403 for every action, and nothing changes --------------------------------


def test_view_only_staff_cannot_refund(client_for: Any) -> None:
    staff = StaffFactory(permissions=VIEW_ONLY)
    order = _paid_order()

    _assert_denied(_post(client_for(staff), f"/api/v1/orders/{order.number}/refund/"))

    payment = order.payments.get()
    assert payment.status == "captured" and payment.refunded == Money(0, "AOA")
    assert not LedgerEntry.objects.filter(kind="refund").exists()


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.PROCESSING])
def test_view_only_staff_cannot_cancel(client_for: Any, status: str) -> None:
    staff = StaffFactory(permissions=VIEW_ONLY)
    order = _paid_order(status=status)

    response = _post(client_for(staff), f"/api/v1/orders/{order.number}/cancel/", {"reason": "x"})

    _assert_denied(response)
    order.refresh_from_db()
    assert order.status == status
    assert not TransitionLog.objects.filter(order=order, transition="cancel").exists()


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("process", FulfilmentStatus.PENDING),
        ("ship", FulfilmentStatus.PROCESSING),
        ("deliver", FulfilmentStatus.SHIPPED),
    ],
)
@pytest.mark.parametrize("grants", [VIEW_ONLY, VIEW_EVERYTHING], ids=["view_order", "all_views"])
def test_view_only_staff_cannot_move_fulfilments(
    client_for: Any, action: str, status: str, grants: tuple[str, ...]
) -> None:
    staff = StaffFactory(permissions=grants)
    order = _paid_order(status=OrderStatus.PROCESSING, fulfilment_status=status)
    fulfilment = order.fulfilments.order_by("id").first()
    assert fulfilment is not None

    response = _post(
        client_for(staff),
        f"/api/v1/fulfilments/{fulfilment.pk}/{action}/",
        {"tracking_number": "T"},
    )

    _assert_denied(response)
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == (status, "")
    assert not TransitionLog.objects.filter(subject="fulfilment").exists()


def test_view_only_staff_sees_no_actions(client_for: Any) -> None:
    staff = StaffFactory(permissions=VIEW_EVERYTHING)
    order = _paid_order()
    data = client_for(staff).get(f"/api/v1/orders/{order.number}/").data
    assert data["view"] == "full"
    assert data["available_transitions"] == []
    assert [f["available_transitions"] for f in data["fulfilments"]] == [[], []]
    listed = client_for(staff).get("/api/v1/fulfilments/").data["results"]
    assert [f["available_transitions"] for f in listed] == [[], []]


# --- Staff without view permissions: nothing to list, and "not yours" is 404 ---------------------


def test_staff_without_view_permissions_list_only_their_own(client_for: Any) -> None:
    staff = StaffFactory()
    _paid_order()
    own = make_order(buyer=staff, lines=[(ProductFactory(), 1)])
    client = client_for(staff)

    assert [o["number"] for o in client.get("/api/v1/orders/").data["results"]] == [own.number]
    assert client.get("/api/v1/fulfilments/").data["count"] == 0


def test_staff_without_view_permissions_get_404_for_others_orders(client_for: Any) -> None:
    staff = StaffFactory(
        permissions=[
            "ecommerce_kit_orders.cancel_order",
            "ecommerce_kit_orders.manage_fulfilment",
            "ecommerce_kit_payments.refund_payment",
        ]
    )
    order = _paid_order()
    fulfilment = order.fulfilments.order_by("id").first()
    assert fulfilment is not None
    client = client_for(staff)

    for response in (
        client.get(f"/api/v1/orders/{order.number}/"),
        client.get(f"/api/v1/orders/{order.number}/payments/"),
        _post(client, f"/api/v1/orders/{order.number}/cancel/"),
        _post(client, f"/api/v1/orders/{order.number}/refund/"),
        _post(client, f"/api/v1/fulfilments/{fulfilment.pk}/process/"),
    ):
        assert response.status_code == 404, response.data
        assert response.data["code"] == "not_found"
    order.refresh_from_db(), fulfilment.refresh_from_db()
    assert (order.status, fulfilment.status) == (OrderStatus.CONFIRMED, FulfilmentStatus.PENDING)


def test_staff_with_view_order_but_not_view_payment_sees_no_payments(client_for: Any) -> None:
    staff = StaffFactory(permissions=["ecommerce_kit_orders.view_order"])
    order = _paid_order()
    client = client_for(staff)
    assert client.get(f"/api/v1/orders/{order.number}/").data["payments"] == []
    assert client.get(f"/api/v1/orders/{order.number}/payments/").status_code == 404


def test_view_fulfilment_lists_every_fulfilment_but_not_every_order(client_for: Any) -> None:
    staff = StaffFactory(permissions=["ecommerce_kit_orders.view_fulfilment"])
    order = _paid_order()
    client = client_for(staff)
    assert client.get("/api/v1/fulfilments/").data["count"] == 2
    assert client.get("/api/v1/orders/").data["count"] == 0
    assert client.get(f"/api/v1/orders/{order.number}/").status_code == 404


# --- Staff holding the permission: the action works ----------------------------------------------


def test_staff_with_refund_payment_refunds(client_for: Any) -> None:
    staff = StaffFactory(permissions=[*VIEW_ONLY, "ecommerce_kit_payments.refund_payment"])
    order = _paid_order()

    response = _post(client_for(staff), f"/api/v1/orders/{order.number}/refund/")

    assert response.status_code == 200, response.data
    assert response.data["payments"][0]["status"] == "refunded"
    assert LedgerEntry.objects.get(kind="refund").actor == staff


def test_staff_with_cancel_order_cancels_a_processing_order(
    client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = StaffFactory(permissions=["ecommerce_kit_orders.view_order", permissions.CANCEL_ORDER])
    order = _paid_order(status=OrderStatus.PROCESSING)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_for(staff), f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200, response.data
    assert response.data["status"] == "cancelled"
    log = TransitionLog.objects.get(order=order, subject="order", transition="cancel")
    assert log.actor == staff


def test_staff_with_cancel_order_still_cannot_cancel_a_shipped_order(client_for: Any) -> None:
    staff = StaffFactory(permissions=["ecommerce_kit_orders.view_order", permissions.CANCEL_ORDER])
    order = _paid_order(status=OrderStatus.SHIPPED)
    response = _post(client_for(staff), f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"


@pytest.mark.parametrize(
    "view", ["ecommerce_kit_orders.view_fulfilment", "ecommerce_kit_orders.view_order"]
)
def test_staff_with_manage_fulfilment_moves_any_stores_fulfilment(
    client_for: Any, view: str
) -> None:
    staff = StaffFactory(permissions=[view, permissions.MANAGE_FULFILMENT])
    order = _paid_order()
    fulfilment = order.fulfilments.order_by("id").first()
    assert fulfilment is not None
    client = client_for(staff)

    for action, body in (("process", {}), ("ship", {"tracking_number": "TRK-1"}), ("deliver", {})):
        response = _post(client, f"/api/v1/fulfilments/{fulfilment.pk}/{action}/", body)
        assert response.status_code == 200, response.data

    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == ("delivered", "TRK-1")
    assert TransitionLog.objects.filter(subject="fulfilment", actor=staff).count() == 3


def test_permissions_granted_through_a_group_count(client_for: Any) -> None:
    group = Group.objects.create(name="Shop staff")
    group.permissions.add(*(permission(name) for name in SHOP_STAFF_PERMISSIONS))
    staff = StaffFactory()
    staff.groups.add(group)
    order = _paid_order()

    data = client_for(staff).get(f"/api/v1/orders/{order.number}/").data
    assert data["available_transitions"] == ["cancel", "refund"]
    assert [f["available_transitions"] for f in data["fulfilments"]] == [["process"], ["process"]]
    assert _post(client_for(staff), f"/api/v1/orders/{order.number}/refund/").status_code == 200


def test_superuser_may_do_everything(client_for: Any) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    order = _paid_order()
    data = client_for(superuser).get(f"/api/v1/orders/{order.number}/").data
    assert data["available_transitions"] == ["cancel", "refund"]
    assert _post(client_for(superuser), f"/api/v1/orders/{order.number}/refund/").status_code == 200


# --- The permissions count for active staff only ------------------------------------------------


def test_permissions_of_a_non_staff_user_count_for_nothing(client_for: Any) -> None:
    user = ShopStaffFactory(is_staff=False)
    order = _paid_order()
    client = client_for(user)
    assert client.get("/api/v1/orders/").data["count"] == 0
    assert client.get("/api/v1/fulfilments/").data["count"] == 0
    assert client.get(f"/api/v1/orders/{order.number}/").status_code == 404
    assert _post(client, f"/api/v1/orders/{order.number}/refund/").status_code == 404


def test_permissions_of_an_inactive_staff_member_count_for_nothing() -> None:
    staff = ShopStaffFactory(is_active=False)
    order = _paid_order()
    assert not permissions.staff_has_perm(staff, permissions.REFUND_PAYMENT)
    assert not can_cancel_order(order, staff)
    assert not can_fulfil(order.fulfilments.select_related("store").first(), staff)


# --- Buyers and store owners need no permission ----------------------------------------------


def test_buyer_cancels_own_order_without_any_permission(client_for: Any) -> None:
    order = _paid_order()
    response = _post(client_for(order.buyer), f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 200, response.data


def test_buyer_who_is_view_only_staff_still_cancels_own_order(client_for: Any) -> None:
    staff = StaffFactory(permissions=VIEW_ONLY)
    order = make_order(buyer=staff, lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    response = _post(client_for(staff), f"/api/v1/orders/{order.number}/cancel/")
    assert response.status_code == 200, response.data


def test_staff_store_owner_moves_own_fulfilment_without_permission(client_for: Any) -> None:
    owner = StaffFactory(permissions=VIEW_ONLY)
    mine = ProductFactory(store=StoreFactory(owner=owner))
    order = make_order(lines=[(mine, 1), (ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    own = Fulfilment.objects.get(order=order, store=mine.store)
    other = Fulfilment.objects.exclude(pk=own.pk).get(order=order)
    client = client_for(owner)

    assert _post(client, f"/api/v1/fulfilments/{own.pk}/process/").status_code == 200
    _assert_denied(_post(client, f"/api/v1/fulfilments/{other.pk}/process/"))
    other.refresh_from_db()
    assert other.status == FulfilmentStatus.PENDING


# --- The state machine's permission callables -------------------------------------------------


@pytest.mark.parametrize(
    ("grants", "expected"),
    [((), False), (VIEW_EVERYTHING, False), ((permissions.CANCEL_ORDER,), True)],
)
def test_can_cancel_order_asks_for_cancel_order(grants: tuple[str, ...], expected: bool) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.PROCESSING)
    staff = StaffFactory(permissions=grants)
    assert can_cancel_order(order, staff) is expected
    assert can_cancel_order(order, order.buyer) is False  # processing: too late for the buyer
    assert can_cancel_order(order, None) is False


@pytest.mark.parametrize(
    ("grants", "expected"),
    [((), False), (VIEW_EVERYTHING, False), ((permissions.MANAGE_FULFILMENT,), True)],
)
def test_can_fulfil_asks_for_manage_fulfilment(grants: tuple[str, ...], expected: bool) -> None:
    order = make_order(lines=[(ProductFactory(), 1)], status=OrderStatus.CONFIRMED)
    fulfilment = order.fulfilments.select_related("store").get()
    assert can_fulfil(fulfilment, StaffFactory(permissions=grants)) is expected
    assert can_fulfil(fulfilment, fulfilment.store.owner) is True
    assert can_fulfil(fulfilment, order.buyer) is False


# --- The documented way of granting them --------------------------------------------------------


def test_the_shop_staff_group_of_the_docs_grants_every_permission(client_for: Any) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
    snippet = re.search(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.DOTALL)
    assert snippet is not None
    ana = UserFactory(username="ana")

    exec(snippet.group(1), {})  # noqa: S102 - our own documentation

    ana.refresh_from_db()
    assert ana.is_staff and ana.groups.filter(name="Shop staff").exists()
    assert {f"ecommerce_kit_orders.{p}" for p in ("view_orderitem", "view_transitionlog")} | set(
        SHOP_STAFF_PERMISSIONS
    ) == ana.get_all_permissions()
    order = _paid_order()
    assert _post(client_for(ana), f"/api/v1/orders/{order.number}/refund/").status_code == 200
