"""Orders driven through the API, with the after-commit callbacks (and so the e-mails) run."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.mail.backends.locmem import EmailBackend
from django.test import TestCase
from moneyed import Money
from rest_framework.test import APIClient

from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Fulfilment, Order, OrderEmail
from tests.orders.factories import checkout_body, make_cart


def committed() -> Any:
    """Run the on-commit callbacks of the block when it ends, as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def client(user: Any, language: str = "en") -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.force_authenticate(user=user)
    return api


def place_order(user: Any, lines: Iterable[tuple[Product, int]], language: str = "en") -> Order:
    """Check ``lines`` out for ``user`` with the dummy gateway (paid at once): a confirmed order."""
    make_cart(user, lines)
    with committed():
        response = client(user, language).post("/api/v1/checkout/", checkout_body(), format="json")
    assert response.status_code == 201, response.data
    return Order.objects.get(number=response.data["order"]["number"])


def move(fulfilment: Fulfilment, *actions: str, tracking_number: str = "") -> None:
    """Apply fulfilment actions as the store's owner (``process``, ``ship``, ``deliver``)."""
    owner = client(fulfilment.store.owner)
    for action in actions:
        body = {"tracking_number": tracking_number} if action == "ship" else {}
        with committed():
            response = owner.post(
                f"/api/v1/fulfilments/{fulfilment.pk}/{action}/", body, format="json"
            )
        assert response.status_code == 200, response.data


def refund(order: Order, staff: Any, amount: str | None = None) -> None:
    body = {} if amount is None else {"amount": {"amount": amount, "currency": order.currency}}
    with committed():
        response = client(staff).post(f"/api/v1/orders/{order.number}/refund/", body, format="json")
    assert response.status_code == 200, response.data


def cancel(order: Order, user: Any) -> None:
    with committed():
        response = client(user).post(f"/api/v1/orders/{order.number}/cancel/", {}, format="json")
    assert response.status_code == 200, response.data


def emails(**filters: Any) -> list[OrderEmail]:
    return list(OrderEmail.objects.filter(**filters).order_by("id"))


def aoa(amount: str) -> Money:
    return Money(amount, "AOA")


class FlakyBackend(EmailBackend):
    """The locmem backend (messages land in ``mail.outbox``), told to fail on purpose.

    ``open_errors`` are raised by ``open()`` (no connection), ``send_errors`` by
    ``send_messages()``, one per call, first to last.
    """

    open_errors: ClassVar[list[BaseException]] = []
    send_errors: ClassVar[list[BaseException]] = []

    def open(self) -> bool:
        if FlakyBackend.open_errors:
            raise FlakyBackend.open_errors.pop(0)
        return True

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.send_errors:
            raise FlakyBackend.send_errors.pop(0)
        return super().send_messages(messages)


TRY_LATER = smtplib.SMTPResponseException(421, b"4.3.2 Try again later")
REJECTED = smtplib.SMTPResponseException(550, b"5.1.1 No such mailbox")
