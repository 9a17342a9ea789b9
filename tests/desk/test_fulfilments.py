"""Fulfilments on the desk: only the seller's own part of each order, moved on by the kit."""

from __future__ import annotations

from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit.orders.models import Fulfilment, Order
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db


def _mine(order: Order, store: Any) -> Fulfilment:
    return order.fulfilments.get(store=store)


def test_list_shows_only_my_stores_fulfilments(
    browser_for: Any, mine: Any, theirs: Any, paid_order: Order
) -> None:
    response = browser_for(mine.owner).get("/desk/fulfilments/")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["fulfilment"] for row in rows] == [_mine(paid_order, mine)]
    assert rows[0]["subtotal"] == Money("2800.00", "AOA")  # 2 × 1250 + 300, not the lamp
    assert rows[0]["count"] == 3
    html = response.content.decode()
    assert paid_order.number in html
    assert "9" + "\u00a0" not in html and "Candeeiro" not in html


def test_page_shows_only_my_lines_and_my_subtotal(
    browser_for: Any, mine: Any, paid_order: Order
) -> None:
    fulfilment = _mine(paid_order, mine)

    response = browser_for(mine.owner).get(f"/desk/fulfilments/{fulfilment.pk}/")

    assert response.status_code == 200
    assert [line.product_name for line in response.context["lines"]] == ["Capulana", "Esteira"]
    assert response.context["subtotal"] == Money("2800.00", "AOA")
    assert response.context["actions"] == ["process"]
    html = response.content.decode()
    assert "Candeeiro" not in html and "9,999" not in html
    assert "12,798" not in html  # the order's total
    assert "Rua Direita 12" in html  # the address to ship to


def test_another_sellers_fulfilment_is_not_found(
    browser_for: Any, mine: Any, theirs: Any, paid_order: Order
) -> None:
    other = _mine(paid_order, theirs)
    client = browser_for(mine.owner)

    assert client.get(f"/desk/fulfilments/{other.pk}/").status_code == 404
    for action in ("process", "ship", "deliver"):
        assert client.post(f"/desk/fulfilments/{other.pk}/{action}/").status_code == 404
    assert Fulfilment.objects.get(pk=other.pk).status == FulfilmentStatus.PENDING


def test_the_buyer_cannot_work_on_their_own_order(browser_for: Any, paid_order: Order) -> None:
    fulfilment = paid_order.fulfilments.first()
    client = browser_for(paid_order.buyer)

    assert client.get(f"/desk/fulfilments/{fulfilment.pk}/").status_code == 403
    assert client.post(f"/desk/fulfilments/{fulfilment.pk}/process/").status_code == 403
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.PENDING


def test_process_ship_with_tracking_number_and_deliver(
    browser_for: Any, mine: Any, theirs: Any, paid_order: Order
) -> None:
    fulfilment = _mine(paid_order, mine)
    client = browser_for(mine.owner)
    url = f"/desk/fulfilments/{fulfilment.pk}/"

    response = client.post(f"{url}process/")
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    assert page.context["actions"] == ["ship"]
    assert f"Order {paid_order.number}: processing your part." in page.content.decode()
    assert Order.objects.get(pk=paid_order.pk).status == OrderStatus.PROCESSING

    response = client.post(f"{url}ship/", {"tracking_number": "AO123456789"})
    assert response.status_code == 302
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == ("shipped", "AO123456789")
    assert client.get(url).context["actions"] == ["deliver"]
    # The other store has not shipped: the order is still processing.
    assert Order.objects.get(pk=paid_order.pk).status == OrderStatus.PROCESSING

    response = client.post(f"{url}deliver/")
    assert response.status_code == 302
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.DELIVERED
    page = client.get(url)
    assert page.context["actions"] == []
    assert "Delivered: nothing left to do." in page.content.decode()
    assert _mine(paid_order, theirs).status == FulfilmentStatus.PENDING


def test_out_of_order_action_is_refused_with_the_kits_words(
    browser_for: Any, mine: Any, paid_order: Order
) -> None:
    fulfilment = _mine(paid_order, mine)

    response = browser_for(mine.owner).post(
        f"/desk/fulfilments/{fulfilment.pk}/deliver/", follow=True
    )

    assert response.redirect_chain == [(f"/desk/fulfilments/{fulfilment.pk}/", 302)]
    html = response.content.decode()
    assert "code-transition_not_allowed" in html
    assert "This transition is not allowed now." in html
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.PENDING


def test_too_long_tracking_number_is_refused(
    browser_for: Any, mine: Any, paid_order: Order
) -> None:
    fulfilment = _mine(paid_order, mine)
    client = browser_for(mine.owner)
    client.post(f"/desk/fulfilments/{fulfilment.pk}/process/")

    response = client.post(
        f"/desk/fulfilments/{fulfilment.pk}/ship/", {"tracking_number": "X" * 101}
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 100 characters" in response.content.decode()
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == ("processing", "")


def test_order_on_hold_says_the_payment_is_missing(browser_for: Any, mine: Any) -> None:
    order = make_order(
        lines=[(ProductFactory(store=mine), 1)], status=OrderStatus.ON_HOLD, buyer=UserFactory()
    )
    fulfilment = order.fulfilments.get()
    client = browser_for(mine.owner)

    page = client.get(f"/desk/fulfilments/{fulfilment.pk}/")
    response = client.post(f"/desk/fulfilments/{fulfilment.pk}/process/", follow=True)

    assert page.context["actions"] == []
    assert "The payment no longer covers the order." in page.content.decode()
    assert "code-payment_missing" in response.content.decode()
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.PENDING


def test_unpaid_order_offers_nothing_to_do(browser_for: Any, mine: Any) -> None:
    order = make_order(lines=[(ProductFactory(store=mine), 1)])
    fulfilment = order.fulfilments.get()
    client = browser_for(mine.owner)

    page = client.get(f"/desk/fulfilments/{fulfilment.pk}/")
    response = client.post(f"/desk/fulfilments/{fulfilment.pk}/process/", follow=True)

    assert page.context["actions"] == []
    assert "The order is not paid yet" in page.content.decode()
    assert "code-transition_not_allowed" in response.content.decode()
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.PENDING


def test_actions_need_a_post(browser_for: Any, mine: Any, paid_order: Order) -> None:
    fulfilment = _mine(paid_order, mine)

    response = browser_for(mine.owner).get(f"/desk/fulfilments/{fulfilment.pk}/process/")

    assert response.status_code == 405
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == FulfilmentStatus.PENDING


def test_list_filters_by_status(browser_for: Any, mine: Any, paid_order: Order) -> None:
    shipped = make_order(lines=[(ProductFactory(store=mine), 1)], status=OrderStatus.SHIPPED)
    client = browser_for(mine.owner)

    pending = client.get("/desk/fulfilments/?status=pending").context["rows"]
    sent = client.get("/desk/fulfilments/?status=shipped").context["rows"]
    every = client.get("/desk/fulfilments/").context["rows"]

    assert [row["fulfilment"].order for row in pending] == [paid_order]
    assert [row["fulfilment"].order for row in sent] == [shipped]
    assert len(every) == 2


def test_unknown_status_filter_is_said_and_lists_nothing(
    browser_for: Any, mine: Any, paid_order: Order
) -> None:
    response = browser_for(mine.owner).get("/desk/fulfilments/?status=lost")

    assert response.status_code == 200
    assert "Select a valid choice. lost is not one of the available choices." in (
        response.content.decode()
    )
    assert response.context["rows"] == []


def test_list_reads_a_fixed_number_of_queries(
    browser_for: Any, mine: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(6):
        make_order(lines=[(ProductFactory(store=mine), 2)], status=OrderStatus.CONFIRMED)
    client = browser_for(mine.owner)
    client.get("/desk/fulfilments/")  # warm the session and the content types

    with django_assert_max_num_queries(12):
        response = client.get("/desk/fulfilments/")

    assert len(response.context["rows"]) == 6
