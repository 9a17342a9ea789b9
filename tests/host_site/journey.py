"""A whole shopping journey through a freshly generated host site, with Django's test client.

Run by ``tests/test_host_site.py`` in a subprocess, from inside a ``django-admin startproject``
site to which only the lines of docs/installation.md were added: ``python journey.py [--hostile]``.
Every answer is checked against the documented contract (status, shape, error codes). With
``--hostile`` the site's ``REST_FRAMEWORK`` defaults differ from DRF's in every way the host
may choose (see ``hostile.py``), and the host's own view must keep them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()  # lets the test client's "testserver" host through ALLOWED_HOSTS

API = "/api/v1/"
PASSWORD = "a-long-enough-passphrase"  # noqa: S105
ERROR_KEYS = {"error", "code", "status_code"}
PAGE_KEYS = {"count", "next", "previous", "results"}
ADDRESS = {"full_name": "Ana Buyer", "line1": "Rua 1", "city": "Luanda", "country": "AO"}


def call(
    client: Client, method: str, path: str, body: Any = None, status: int = 200, **headers: str
) -> Any:
    """Send a JSON request to the kit and return the decoded JSON answer, checking its status."""
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(client, method)(API + path, **kwargs)
    assert response.status_code == status, (method, path, response.status_code, response.content)
    if not response.content:
        return None
    assert response["Content-Type"] == "application/json", (path, response["Content-Type"])
    return response.json()


def error(
    client: Client, method: str, path: str, body: Any, status: int, code: str, **headers: str
) -> dict[str, Any]:
    """Send a request that must fail, and check the contract's error shape and code."""
    answer = call(client, method, path, body, status, **headers)
    assert ERROR_KEYS <= set(answer), answer
    assert (answer["code"], answer["status_code"]) == (code, status), answer
    return answer


def signed_webhook(client: Client, event: dict[str, Any], status: int = 200) -> Any:
    """Post ``event`` as the dummy gateway would, signed with the site's webhook secret."""
    secret = settings.ECOMMERCE_KIT["PAYMENT_GATEWAYS"]["dummy"]["webhook_secret"]
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        API + "payments/webhooks/dummy/",
        data=body,
        content_type="application/json",
        headers={"X-Dummy-Signature": signature},
    )
    assert response.status_code == status, response.content
    return response.json()


def journey() -> None:
    users = get_user_model()
    users.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    users.objects.create_user("seller", "seller@example.com", PASSWORD)
    users.objects.create_user("buyer", "buyer@example.com", PASSWORD)

    staff = Client()
    staff.force_login(users.objects.get(username="admin"))
    seller_client = Client()
    assert seller_client.login(username="seller", password=PASSWORD)
    shopper = Client()

    assert call(shopper, "get", "health/") == {"status": "ok", "database": "ok"}

    # Staff create a category in the admin; a seller opens a store, staff approve it.
    response = staff.post(
        "/admin/ecommerce_kit_catalog/category/add/",
        {"name": "Books", "slug": "books", "description": "", "parent": "", "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    categories = call(shopper, "get", "categories/")
    assert PAGE_KEYS == set(categories) and categories["count"] == 1, categories
    category = categories["results"][0]

    store = call(seller_client, "post", "stores/", {"name": "Kitabu", "description": "Books"}, 201)
    assert store["is_approved"] is False
    error(
        seller_client, "post", "stores/", {"name": "Other", "description": ""}, 409, "store_exists"
    )
    error(seller_client, "post", f"stores/{store['slug']}/approve/", None, 403, "permission_denied")
    call(staff, "post", f"stores/{store['slug']}/approve/")
    price = {"amount": "2500.00", "currency": "AOA"}
    product = call(
        seller_client,
        "post",
        "products/",
        {
            "name": "A Django book",
            "description": "Reusable apps",
            "price": price,
            "stock_quantity": 5,
            "category": category["id"],
        },
        201,
    )

    # An anonymous shopper browses and fills a cart.
    listing = call(shopper, "get", "products/?search=django&ordering=-price")
    assert set(listing) == PAGE_KEYS and listing["count"] == 1, listing
    assert listing["results"][0]["price"] == price
    detail = call(shopper, "get", f"products/{product['id']}/")
    assert detail["store"]["slug"] == store["slug"] and detail["in_stock"] is True
    assert call(shopper, "get", "products/?page_size=2")["count"] == 1
    invalid = error(shopper, "get", "products/?page_size=0", None, 400, "invalid")
    assert "page_size" in invalid["fields"], invalid
    error(shopper, "get", "products/?min_price=cheap", None, 400, "invalid")

    cart = call(shopper, "post", "cart/", None, 201)
    token = cart["token"]
    cart = call(
        shopper,
        "post",
        "cart/items/",
        {"product": product["id"], "quantity": 2},
        201,
        X_Cart_Token=token,
    )
    assert (
        cart["subtotal"] == {"amount": "5000.00", "currency": "AOA"} and cart["item_count"] == 2
    ), cart
    error(shopper, "get", "cart/", None, 404, "cart_not_found", X_Cart_Token="no-such-cart")
    error(
        shopper,
        "post",
        "cart/items/",
        {"product": product["id"], "quantity": 9},
        409,
        "insufficient_stock",
        X_Cart_Token=token,
    )
    error(shopper, "post", "checkout/", {}, 401, "not_authenticated")

    # The shopper signs in through the site's own (session) login: the anonymous cart follows.
    assert shopper.login(username="buyer", password=PASSWORD)
    cart = call(shopper, "get", "cart/")
    assert [(i["product"]["id"], i["quantity"]) for i in cart["items"]] == [(product["id"], 2)], (
        cart
    )

    methods = call(shopper, "get", "payment-methods/?currency=AOA")
    assert [m["id"] for m in methods] == ["dummy"], methods

    checkout = {
        "shipping_address": ADDRESS,
        "payment_method": "dummy",
        "payment_data": {"token": "tok_pending"},
    }
    placed = call(shopper, "post", "checkout/", checkout, 201, Idempotency_Key="journey-1")
    again = call(shopper, "post", "checkout/", checkout, 201, Idempotency_Key="journey-1")
    order, payment = placed["order"], placed["payment"]
    assert again["order"]["number"] == order["number"]
    assert (order["status"], payment["status"]) == ("pending", "pending"), placed
    assert order["total"] == {"amount": "5000.00", "currency": "AOA"}, order
    assert call(shopper, "get", f"products/{product['id']}/")["stock_quantity"] == 3

    # The provider confirms the payment by a signed webhook; a replay changes nothing.
    event = {
        "event_id": "evt-1",
        "payment_id": payment["id"],
        "type": "payment.captured",
        "amount": payment["amount"],
    }
    signed_webhook(shopper, event)
    signed_webhook(shopper, event)
    response = shopper.post(
        API + "payments/webhooks/dummy/",
        data=json.dumps(event),
        content_type="application/json",
        headers={"X-Dummy-Signature": "sha256=forged"},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    order = call(shopper, "get", f"orders/{order['number']}/")
    assert order["status"] == "confirmed", order
    assert [p["status"] for p in order["payments"]] == ["captured"], order["payments"]
    assert call(shopper, "get", "orders/")["count"] == 1

    # The seller fulfils the order; the buyer reviews what was delivered.
    error(
        shopper,
        "post",
        "products/{}/reviews/".format(product["id"]),
        {"rating": 5, "title": "x", "body": "y"},
        403,
        "purchase_required",
    )
    fulfilments = call(seller_client, "get", "fulfilments/")
    assert fulfilments["count"] == 1, fulfilments
    fulfilment = fulfilments["results"][0]
    error(
        seller_client,
        "post",
        f"fulfilments/{fulfilment['id']}/deliver/",
        None,
        409,
        "transition_not_allowed",
    )
    call(seller_client, "post", f"fulfilments/{fulfilment['id']}/process/")
    call(
        seller_client, "post", f"fulfilments/{fulfilment['id']}/ship/", {"tracking_number": "TRK-1"}
    )
    call(seller_client, "post", f"fulfilments/{fulfilment['id']}/deliver/")
    assert call(shopper, "get", f"orders/{order['number']}/")["status"] == "delivered"

    review = call(
        shopper,
        "post",
        f"products/{product['id']}/reviews/",
        {"rating": 5, "title": "Clear", "body": "Worth it"},
        201,
    )
    assert review["verified_purchase"] is True and review["user"]["username"] == "buyer"
    rating = call(Client(), "get", f"products/{product['id']}/rating/")
    assert (rating["average"], rating["count"]) == ("5.00", 1), rating
    reviews = call(Client(), "get", f"products/{product['id']}/reviews/")
    assert set(reviews) == PAGE_KEYS and reviews["count"] == 1, reviews


def host_views_keep_their_defaults() -> None:
    """The host's own DRF view still answers with the host's renderer, handler and pagination."""
    anonymous = Client()
    response = anonymous.get("/host/groups/")
    assert response.status_code == 418, response.content
    assert response.json() == {"host_envelope": {"host_error": "NotAuthenticated"}}
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    response = admin.get("/host/groups/")
    assert response.status_code == 200, response.content
    assert response.json() == {"host_envelope": {"host_items": [], "host_total": 0}}


if __name__ == "__main__":
    journey()
    if "--hostile" in sys.argv:
        host_views_keep_their_defaults()
    print("journey ok")
