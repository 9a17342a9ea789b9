#!/usr/bin/env python3
"""Black-box smoke test of a running ecommerce_kit site against its HTTP contract (API.md).

Run it against any deployment of the example project (or a host with the same URL layout: the kit
at ``/api/v1/``, JWT auth at ``/api/v1/auth/``, the OpenAPI document at ``/api/schema/``)::

    DUMMY_GATEWAY_WEBHOOK_SECRET=<secret> python scripts/smoke_api.py http://127.0.0.1:8000

It needs only the Python standard library. It creates its own users, store and products (names end
in a random suffix, so it can run again against the same database), walks through every section of
API.md checking status codes, body shapes and error codes, sends hostile input (NUL characters,
JSON nested too deeply, oversized bodies, huge ids) that must never answer 5xx, and then fires
racing requests (checkouts of the last units of a product, a double-submitted checkout with and
without an ``Idempotency-Key``, deliveries of one webhook, refreshes of one refresh token,
registrations with one e-mail address).

Payments are checked as a ledger (docs/payments.md): every order and payment answer must carry the
money it holds and owes (``charged``, ``refunded``, ``held``, ``due``, ``charge_status``,
``authorize_status``, ``hold_reason``; ``authorized``, ``refund_pending``, ``refunds``) and these
must add up. The script checks short captures putting an order ``on_hold``, ``pay/`` refused with
``payment_in_progress``, provider events above the payment's amount refused, refunds reported
before their capture deferred, a refund whose gateway call times out kept reserved and settled by
the provider's echo, cancels of the unshipped part of a two-store order (stock and refund of that
part only) and the seller's view of it, the provider events of a payment delivered shuffled and at
once ending where their natural order does, and ten ``pay/`` at once without a key.

The dummy gateway's ``timeout_once`` remembers in Django's cache which calls timed out: with
several server processes, give the site a shared cache (Redis or the database cache), not the
per-process local-memory one. Staff with view permissions only are checked when
``SMOKE_VIEWER_USERNAME`` / ``SMOKE_VIEWER_PASSWORD`` name such a user (``view_order``,
``view_fulfilment`` and ``view_payment``, nothing else); otherwise that check is skipped with a
note. ``--check-throttles`` also checks that a new
``X-Forwarded-For`` per request does not escape the anonymous cart limit (it creates anonymous
carts until the limit answers 429). The site must have the built-in
``dummy`` payment gateway enabled with the webhook secret given in
``DUMMY_GATEWAY_WEBHOOK_SECRET``, and a staff account (``SMOKE_STAFF_USERNAME`` /
``SMOKE_STAFF_PASSWORD``, default ``admin`` / ``demo-admin-pass`` from ``seed_demo``) to approve the
test store and refund: a superuser, or staff holding the orders and payments permissions of the
"Staff permissions" docs page (``view_order``, ``view_payment``, ``refund_payment``, ...). The
site's auth throttle should allow a few dozen registrations a minute (the example project:
``ACCOUNTS_AUTH_THROTTLE_RATE=`` switches it off); other 429 answers are
waited out using ``Retry-After``. The script stops at the first failed check (``--keep-going``
reports every failure instead), prints a summary, and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

MONEY_RE = re.compile(r"^-?\d+\.\d{2}$")
ISO_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ADDRESS = {
    "full_name": "Ana Smoke",
    "line1": "Rua 1, 23",
    "city": "Luanda",
    "country": "AO",
    "phone": "+244 900 000 000",
}
PRODUCT_KEYS = {
    "id", "slug", "name", "description", "price", "stock_quantity", "in_stock", "category",
    "store", "rating", "attributes", "parent", "variants", "is_active", "created_at", "updated_at",
}  # fmt: skip
ORDER_KEYS = {
    "number", "status", "currency", "items", "subtotal", "shipping", "tax", "total",
    "shipping_address", "fulfilments", "payments", "available_transitions", "created_at",
    "updated_at",
}  # fmt: skip
#: What an order holds and owes (docs/api.md, "Money held for an order"); null to a seller.
ORDER_MONEY_KEYS = {"charged", "refunded", "held", "due"}
ORDER_MONEY_FIELDS = ORDER_MONEY_KEYS | {"charge_status", "authorize_status", "hold_reason"}
ORDER_STATUSES = {
    "pending", "confirmed", "on_hold", "processing", "shipped", "delivered", "cancelled",
}  # fmt: skip
CHARGE_STATUSES = {"none", "partial", "full", "overcharged"}
AUTHORIZE_STATUSES = {"none", "partial", "full"}
PAYMENT_KEYS = {
    "id", "gateway", "status", "amount", "authorized", "captured", "refunded", "refund_pending",
    "refunds", "next_action", "created_at",
}  # fmt: skip
PAYMENT_STATUSES = {
    "pending", "authorized", "captured", "partially_refunded", "refunded", "failed", "voided",
}  # fmt: skip
REFUND_KEYS = {"id", "amount", "state", "reason", "reference", "idempotency_key", "created_at"}
REFUND_STATES = {"requested", "succeeded", "failed", "unknown"}
REFUND_REASONS = {"staff", "cancellation", "release", "surplus", "provider"}


class CheckFailedError(Exception):
    """A check did not hold (raised only when stopping at the first failure)."""


def _dictionary_order(text: str) -> str:
    """A collation-like key: accents, case and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() or c.isspace()).casefold()


class Response:
    """One HTTP answer: status, headers and the body (parsed when it is JSON)."""

    def __init__(self, method: str, url: str, status: int, headers: Any, raw: bytes) -> None:
        self.method, self.url, self.status, self.headers, self.raw = (
            method, url, status, headers, raw,
        )  # fmt: skip
        self.text = raw.decode("utf-8", "replace")
        try:
            self.json: Any = json.loads(self.text) if raw else None
        except ValueError:
            self.json = None

    def __getitem__(self, key: str) -> Any:
        if not isinstance(self.json, dict):
            raise CheckFailedError(
                f"{self.method} {self.url}: body is not a JSON object: {self.text!r}"
            )
        return self.json.get(key)

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.text[:600]}"


class User:
    """A signed-in API user (JWT)."""

    def __init__(self, username: str, password: str, access: str, refresh: str, uid: int) -> None:
        self.username, self.password, self.access, self.refresh, self.id = (
            username, password, access, refresh, uid,
        )  # fmt: skip


class Smoke:
    def __init__(
        self, base: str, secret: str, keep_going: bool, check_throttles: bool = False
    ) -> None:
        self.base = base.rstrip("/")
        self.check_throttles = check_throttles
        self.api = self.base + "/api/v1/"
        self.secret = secret
        self.keep_going = keep_going
        self.suffix = secrets.token_hex(3)
        self.passed = 0
        self.failures: list[str] = []
        self.server_errors: list[str] = []
        self.section = ""
        self.lock = threading.Lock()
        self.notes: list[str] = []

    # --- plumbing --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: User | None = None,
        cart: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        absolute: bool = False,
        retry_throttled: bool = True,
    ) -> Response:
        """Send one request; 429 answers are waited out (Retry-After) and sent again."""
        url = path if absolute else self.api + path.lstrip("/")
        hdrs = {"Accept": "application/json"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if user is not None:
            hdrs["Authorization"] = f"Bearer {user.access}"
        if cart is not None:
            hdrs["X-Cart-Token"] = cart
        hdrs.update(headers or {})
        for _attempt in range(8):
            req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
            try:
                with urllib.request.urlopen(req, timeout=60) as answer:
                    resp = Response(method, url, answer.status, answer.headers, answer.read())
            except urllib.error.HTTPError as exc:
                resp = Response(method, url, exc.code, exc.headers, exc.read())
            if resp.status == 429 and retry_throttled:
                wait = int(resp.headers.get("Retry-After") or 5)
                with self.lock:
                    self.notes.append(f"429 on {method} {path}; waited {wait}s")
                time.sleep(min(wait, 65) + 0.5)
                continue
            if resp.status >= 500 and resp.status not in (502, 503):
                with self.lock:
                    self.server_errors.append(resp.describe())
            return resp
        return resp

    def check(self, condition: bool, label: str, resp: Response | None = None) -> bool:
        with self.lock:
            if condition:
                self.passed += 1
                return True
            message = f"[{self.section}] {label}"
            if resp is not None:
                message += f"\n    {resp.describe()}"
            self.failures.append(message)
        print(f"FAIL {message}", flush=True)
        if not self.keep_going:
            raise CheckFailedError(message)
        return False

    def expect(
        self, resp: Response, status: int, code: str | None = None, label: str = ""
    ) -> Response:
        """Check the status (and, for errors, the contract error shape and code)."""
        what = label or f"{resp.method} {resp.url.replace(self.api, '')}"
        ok = self.check(resp.status == status, f"{what}: expected {status}", resp)
        if ok and status >= 400:
            body = resp.json
            shape = (
                isinstance(body, dict)
                and isinstance(body.get("error"), str)
                and body.get("status_code") == status
                and isinstance(body.get("code"), str)
            )
            self.check(shape, f"{what}: error body shape {{error, code, status_code}}", resp)
            if code is not None and shape:
                self.check(body["code"] == code, f"{what}: expected code {code!r}", resp)
            if shape and body["code"] == "invalid":
                self.check(
                    isinstance(body.get("fields"), dict) and bool(body["fields"]),
                    f"{what}: invalid without fields",
                    resp,
                )
        return resp

    def is_money(self, value: Any, currency: str | None = None) -> bool:
        return (
            isinstance(value, dict)
            and set(value) == {"amount", "currency"}
            and isinstance(value["amount"], str)
            and bool(MONEY_RE.match(value["amount"]))
            and (currency is None or value["currency"] == currency)
        )

    def has_keys(self, value: Any, keys: set[str]) -> bool:
        """Whether ``value`` is an object with (at least) the documented ``keys``."""
        return isinstance(value, dict) and keys <= set(value)

    def money(self, amount: Any, currency: str = "AOA") -> dict[str, str]:
        return {"amount": f"{Decimal(amount):.2f}", "currency": currency}

    def amount(self, money: Any) -> Decimal:
        """The amount of a Money object of an answer (NaN when it is not one, so that any
        comparison with it fails)."""
        if isinstance(money, dict) and isinstance(money.get("amount"), str):
            try:
                return Decimal(money["amount"])
            except ArithmeticError:
                pass
        return Decimal("NaN")

    def run_section(self, name: str, func: Callable[[], None]) -> None:
        self.section = name
        before = self.passed
        print(f"== {name}", flush=True)
        func()
        print(f"   {self.passed - before} checks passed", flush=True)

    # --- users -----------------------------------------------------------------------------------

    def register(self, prefix: str) -> User:
        username = f"{prefix}-{self.suffix}-{secrets.token_hex(2)}"
        password = "Smoke-" + secrets.token_urlsafe(12)
        resp = self.request(
            "POST",
            "auth/register/",
            {"username": username, "email": f"{username}@smoke.example", "password": password},
        )
        self.expect(resp, 201, label=f"register {prefix}")
        return self.login(username, password, uid=resp["id"])

    def login(self, username: str, password: str, uid: int = 0) -> User:
        resp = self.request("POST", "auth/token/", {"username": username, "password": password})
        self.expect(resp, 200, label=f"token for {username}")
        return User(username, password, resp["access"], resp["refresh"], uid)

    # --- sections --------------------------------------------------------------------------------

    def health_and_schema(self) -> None:
        resp = self.expect(self.request("GET", "health/"), 200)
        self.check(resp.json == {"status": "ok", "database": "ok"}, "health body", resp)
        resp = self.request("GET", self.base + "/api/schema/?format=json", absolute=True)
        self.expect(resp, 200, label="GET /api/schema/")
        doc = resp.json or {}
        self.check(str(doc.get("openapi", "")).startswith("3."), "schema is OpenAPI 3", resp)
        paths = set(doc.get("paths", {}))
        for path in (
            "health/", "categories/", "products/", "products/{id}/", "products/{id}/rating/",
            "products/{id}/reviews/", "stores/", "stores/{slug}/", "stores/{slug}/approve/",
            "cart/", "cart/items/", "cart/items/{id}/", "cart/merge/", "checkout/", "orders/",
            "orders/{number}/", "orders/{number}/cancel/", "orders/{number}/pay/",
            "orders/{number}/refund/", "orders/{number}/payments/", "fulfilments/",
            "fulfilments/{id}/process/", "fulfilments/{id}/ship/", "fulfilments/{id}/deliver/",
            "payment-methods/", "payments/webhooks/{gateway}/", "reviews/{id}/", "wishlist/",
            "wishlist/{product_id}/", "auth/register/", "auth/token/", "auth/token/refresh/",
            "auth/logout/", "fulfilments/{id}/cancel/",
        ):  # fmt: skip
            pattern = re.compile(
                "^/api/v1/" + re.sub(r"\\\{[^}]+\\\}", r"\{[^}]+\}", re.escape(path)) + "$"
            )
            self.check(any(pattern.match(p) for p in paths), f"schema documents {path}")
        schemas = doc.get("components", {}).get("schemas", {})
        order = schemas.get("Order", {}).get("properties", {})
        payment = schemas.get("Payment", {}).get("properties", {})
        self.check(
            ORDER_MONEY_FIELDS | {"view"} <= set(order),
            f"schema: Order has {sorted(ORDER_MONEY_FIELDS | {'view'} - set(order))}",
        )
        self.check(
            PAYMENT_KEYS <= set(payment),
            f"schema: Payment has {sorted(PAYMENT_KEYS - set(payment))}",
        )
        self.check(
            "OrderViewEnum" in json.dumps(order.get("view", {})),
            "schema: Order.view is OrderViewEnum",
        )
        self.check(
            all(order.get(k, {}).get("nullable") is True for k in ("shipping", "tax", "total")),
            "schema: Order shipping, tax and total are nullable",
        )
        self.check(
            "on_hold" in schemas.get("OrderStatusEnum", {}).get("enum", []),
            "schema: OrderStatusEnum has on_hold",
        )
        resp = self.request(
            "GET", self.base + "/api/schema/", absolute=True, headers={"Accept": "*/*"}
        )
        self.expect(resp, 200, label="GET /api/schema/ (default format)")
        resp = self.request(
            "GET", self.base + "/api/docs/", absolute=True, headers={"Accept": "text/html"}
        )
        self.expect(resp, 200, label="GET /api/docs/")
        self.check("swagger" in resp.text.lower(), "docs page is Swagger UI", resp)

    def auth(self) -> None:
        username = f"auth-{self.suffix}"
        password = "Smoke-" + secrets.token_urlsafe(12)
        body = {"username": username, "email": f"{username}@smoke.example", "password": password}
        resp = self.expect(self.request("POST", "auth/register/", body), 201)
        self.check(set(resp.json) == {"id", "username", "email"}, "register answer keys", resp)
        self.check(resp["username"] == username and isinstance(resp["id"], int), "register body")
        dup = self.expect(
            self.request("POST", "auth/register/", body), 400, "invalid", "duplicate username"
        )
        self.check(
            "username" in (dup["fields"] or {}), "duplicate username reported on username", dup
        )
        resp = self.request("POST", "auth/register/", {**body, "username": username + "x"})
        self.expect(resp, 400, "invalid", "duplicate email")
        resp = self.request(
            "POST",
            "auth/register/",
            {"username": username + "w", "email": f"w{username}@smoke.example", "password": "123"},
        )
        self.expect(resp, 400, "invalid", "weak password")
        self.check("password" in (resp["fields"] or {}), "weak password reported on password", resp)
        self.expect(self.request("POST", "auth/register/", {}), 400, "invalid", "empty register")
        resp = self.request("POST", "auth/register/", raw=b"{not json")
        self.expect(resp, 400, label="malformed JSON")
        resp = self.request("POST", "auth/token/", {"username": username, "password": "wrong"})
        self.expect(resp, 401, label="token with bad password")
        resp = self.expect(
            self.request("POST", "auth/token/", {"username": username, "password": password}), 200
        )
        self.check(set(resp.json) == {"access", "refresh"}, "token answer keys", resp)
        first_refresh = resp["refresh"]
        user = User(username, password, resp["access"], first_refresh, 0)
        self.expect(self.request("GET", "wishlist/", user=user), 200, label="access token works")
        resp = self.expect(
            self.request("POST", "auth/token/refresh/", {"refresh": first_refresh}), 200
        )
        self.check(set(resp.json) == {"access", "refresh"}, "refresh answer keys", resp)
        self.check(resp["refresh"] != first_refresh, "refresh rotates the refresh token", resp)
        second_refresh = resp["refresh"]
        resp = self.request("POST", "auth/token/refresh/", {"refresh": first_refresh})
        self.expect(resp, 401, label="rotated-out refresh token refused")
        resp = self.request("POST", "auth/logout/", {"refresh": second_refresh})
        self.check(resp.status == 205, "logout is 205", resp)
        resp = self.request("POST", "auth/token/refresh/", {"refresh": second_refresh})
        self.expect(resp, 401, label="refresh after logout refused")
        self.expect(
            self.request("POST", "auth/logout/", {"refresh": "garbage"}),
            400,
            label="logout garbage",
        )
        self.expect(
            self.request("POST", "auth/logout/", {}), 400, "invalid", "logout without refresh"
        )
        bad = User("x", "x", "not-a-jwt", "", 0)
        self.expect(self.request("GET", "orders/", user=bad), 401, label="bad bearer token")
        self.expect(self.request("GET", "orders/"), 401, "not_authenticated", "orders anonymous")

    def check_product_shape(
        self, product: dict[str, Any], label: str, nested: bool = False
    ) -> None:
        keys = PRODUCT_KEYS - {"variants"} if nested else PRODUCT_KEYS
        self.check(self.has_keys(product, keys), f"{label}: product keys {product}")
        self.check(self.is_money(product["price"]), f"{label}: price is Money {product['price']}")
        self.check(set(product["category"]) == {"id", "slug", "name"}, f"{label}: category ref")
        self.check(set(product["store"]) == {"id", "slug", "name"}, f"{label}: store ref")
        rating = product["rating"]
        self.check(
            set(rating) == {"average", "count"}
            and (rating["average"] is None or MONEY_RE.match(rating["average"]) is not None),
            f"{label}: rating shape {rating}",
        )
        for key in ("created_at", "updated_at"):
            self.check(bool(ISO_TS_RE.match(product[key])), f"{label}: {key} ISO 8601 with zone")
        if not nested:
            for variant in product["variants"]:
                self.check_product_shape(variant, f"{label} variant", nested=True)
                self.check(variant["parent"] == product["id"], f"{label}: variant parent")

    def list_all(self, path: str, user: User | None = None, limit: int = 20) -> list[Any]:
        results: list[Any] = []
        url: str | None = self.api + path
        pages = 0
        while url and pages < limit:
            resp = self.expect(self.request("GET", url, user=user, absolute=True), 200)
            results.extend(resp["results"])
            url = resp["next"]
            pages += 1
        return results

    def catalog_reads(self) -> None:
        resp = self.expect(self.request("GET", "categories/"), 200)
        self.check(
            set(resp.json) == {"count", "next", "previous", "results"}, "categories paginated", resp
        )
        categories = self.list_all("categories/?page_size=100")
        self.check(len(categories) > 0, "there are categories (run seed_demo)")
        for cat in categories:
            self.check({"id", "slug", "name", "parent"} <= set(cat), f"category shape {cat}")
        self.categories = categories
        self.category_id = categories[0]["id"]

        resp = self.expect(self.request("GET", "products/"), 200)
        self.check(
            set(resp.json) == {"count", "next", "previous", "results"}, "products paginated", resp
        )
        self.check(len(resp["results"]) == min(20, resp["count"]), "default page size 20", resp)
        for product in resp["results"]:
            self.check_product_shape(product, "product list")
            self.check(product["parent"] is None, "list shows groups and standalone products only")
        self.check(
            [p["created_at"] for p in resp["results"]]
            == sorted((p["created_at"] for p in resp["results"]), reverse=True),
            "default ordering -created_at",
        )
        resp = self.expect(self.request("GET", "products/?page_size=5"), 200)
        self.check(len(resp["results"]) == 5, "page_size=5", resp)
        resp = self.request("GET", "products/?page_size=1000")
        self.check(
            resp.status == 400 or (resp.status == 200 and len(resp["results"]) <= 100),
            "page_size above 100 is capped or refused",
            resp,
        )
        resp = self.expect(self.request("GET", "products/?page=2&page_size=5"), 200)
        self.check(resp["previous"] is not None, "page 2 has previous", resp)
        self.expect(
            self.request("GET", "products/?page=99999"), 404, "not_found", "page beyond the last"
        )
        self.expect(self.request("GET", "products/?page=abc"), 404, label="page=abc")
        for bad in ("page_size=abc", "page_size=0", "page_size=-1"):
            resp = self.request("GET", f"products/?{bad}")
            self.check(resp.status in (200, 400), f"{bad} answered (no 5xx)", resp)

        product = resp.json["results"][0] if resp.status == 200 else None
        all_products = self.list_all("products/?page_size=100")
        self.all_products = all_products
        if product is None:
            product = all_products[0]
        detail = self.expect(self.request("GET", f"products/{product['id']}/"), 200)
        self.check_product_shape(detail.json, "product detail")
        self.expect(self.request("GET", "products/999999999/"), 404, "not_found")
        resp = self.request("GET", "products/abc/")
        self.check(resp.status == 404, "products/abc/ is 404", resp)
        resp = self.expect(self.request("GET", f"products/{product['id']}/rating/"), 200)
        self.check(
            set(resp.json) == {"average", "count", "distribution"}
            and set(resp["distribution"]) == {"1", "2", "3", "4", "5"},
            "rating shape",
            resp,
        )
        self.expect(
            self.request("GET", "products/999999999/rating/"),
            404,
            "not_found",
            "rating of unknown product",
        )

        # Filters.
        def effective(p: dict[str, Any]) -> list[dict[str, Any]]:
            return p["variants"] or [p]

        word = next(w for w in all_products[0]["name"].split() if len(w) > 3)
        found = self.list_all(f"products/?search={urllib.parse.quote(word)}&page_size=100")
        self.check(len(found) > 0, f"search {word!r} finds something")
        for p in found:
            texts = (
                [p["name"], p["description"]]
                + [v["name"] for v in p["variants"]]
                + [v["description"] for v in p["variants"]]
            )
            self.check(
                any(word.lower() in t.lower() for t in texts),
                f"search result matches {word!r}: {p['name']}",
            )
        roots = [
            c
            for c in categories
            if c["parent"] is None and any(d["parent"] == c["id"] for d in categories)
        ]
        if roots:
            root = roots[0]
            descendants = {root["id"]}
            changed = True
            while changed:
                changed = False
                for c in categories:
                    if c["parent"] in descendants and c["id"] not in descendants:
                        descendants.add(c["id"])
                        changed = True
            expected = [p for p in all_products if p["category"]["id"] in descendants]
            got = self.list_all(f"products/?category={root['slug']}&page_size=100")
            self.check(
                sorted(p["id"] for p in got) == sorted(p["id"] for p in expected),
                f"category={root['slug']} includes sub-categories ({len(got)} vs {len(expected)})",
            )
        got = self.expect(self.request("GET", "products/?store=mercado-kwanza&page_size=1"), 200)
        self.check(got["count"] > 0, "store filter", got)
        prices = sorted(Decimal(v["price"]["amount"]) for p in all_products for v in effective(p))
        low, high = prices[len(prices) // 4], prices[len(prices) // 2]
        got = self.list_all(f"products/?min_price={low}&max_price={high}&page_size=100")
        expected = [
            p
            for p in all_products
            if any(low <= Decimal(v["price"]["amount"]) <= high for v in effective(p))
        ]
        self.check(
            sorted(p["id"] for p in got) == sorted(p["id"] for p in expected),
            f"min_price/max_price ({len(got)} vs {len(expected)})",
        )
        got = self.list_all("products/?in_stock=true&page_size=100")
        self.check(all(p["in_stock"] for p in got), "in_stock=true: all in stock")
        self.check(len(got) == sum(1 for p in all_products if p["in_stock"]), "in_stock=true count")
        got = self.list_all("products/?in_stock=false&page_size=100")
        self.check(all(not p["in_stock"] for p in got), "in_stock=false: none in stock")
        got = self.expect(self.request("GET", "products/?currency=AOA&page_size=1"), 200)
        self.check(got["count"] > 0, "currency=AOA", got)
        for ordering, key, reverse in (
            ("price", lambda p: min(Decimal(v["price"]["amount"]) for v in effective(p)), False),
            ("-price", lambda p: min(Decimal(v["price"]["amount"]) for v in effective(p)), True),
            ("name", lambda p: p["name"], False),
            ("-name", lambda p: p["name"], True),
            ("created_at", lambda p: p["created_at"], False),
            ("-created_at", lambda p: p["created_at"], True),
        ):
            got = self.expect(
                self.request("GET", f"products/?ordering={ordering}&page_size=50"), 200
            )["results"]
            values = [key(p) for p in got]
            if ordering.lstrip("-") == "name":
                # Databases collate differently: code points, case-insensitive, or dictionary
                # order (accents and punctuation ignored) are all sorted answers.
                ok = any(
                    values == sorted(values, key=sort_key, reverse=reverse)
                    for sort_key in (str, str.casefold, _dictionary_order)
                )
            else:
                ok = values == sorted(values, reverse=reverse)
            self.check(ok, f"ordering={ordering} sorts")
        for ordering in ("rating", "-rating"):
            self.expect(self.request("GET", f"products/?ordering={ordering}"), 200)
        for bad in (
            "min_price=abc", "min_price=-1", "max_price=nan", "min_price=10&max_price=1",
            "in_stock=maybe", "ordering=bogus", "ordering=id", "currency=XYZ", "currency=usd",
            "category=no-such-category", "store=no-such-store", "min_price=1e400",
            "search=" + "x" * 500,
        ):  # fmt: skip
            self.expect(
                self.request("GET", f"products/?{bad}"), 400, "invalid", f"bad filter {bad[:40]}"
            )

        resp = self.expect(self.request("GET", "stores/"), 200)
        for store in resp["results"]:
            self.check(store.get("is_approved") is True, "stores list only approved", resp)
        self.expect(self.request("GET", "stores/mercado-kwanza/"), 200)
        self.expect(self.request("GET", "stores/no-such-store/"), 404, "not_found")

    def seller_flow(self) -> None:
        self.seller = seller = self.register("seller")
        self.other_seller = other = self.register("seller2")
        self.staff = self.login(
            os.environ.get("SMOKE_STAFF_USERNAME", "admin"),
            os.environ.get("SMOKE_STAFF_PASSWORD", "demo-admin-pass"),
        )
        cat = self.category_id
        product_body = {
            "name": f"Smoke Lamp {self.suffix}",
            "description": "A lamp.",
            "price": self.money("1250"),
            "stock_quantity": 5,
            "category": cat,
        }
        self.expect(
            self.request("POST", "stores/", {"name": "x"}),
            401,
            "not_authenticated",
            "store anonymous",
        )
        self.expect(self.request("POST", "products/", product_body, user=seller), 403, "no_store")
        self.expect(
            self.request("POST", "stores/", {}, user=seller), 400, "invalid", "store without name"
        )
        resp = self.expect(
            self.request(
                "POST",
                "stores/",
                {"name": f"Smoke Store {self.suffix}", "description": "d"},
                user=seller,
            ),
            201,
        )
        self.check(resp["is_approved"] is False, "new store is not approved", resp)
        slug = self.store_slug = resp["slug"]
        self.store_id = resp["id"]
        self.expect(
            self.request("POST", "stores/", {"name": f"Another {self.suffix}"}, user=seller),
            409,
            "store_exists",
        )
        self.expect(
            self.request("GET", f"stores/{slug}/"),
            404,
            "not_found",
            "pending store hidden from public",
        )
        self.expect(
            self.request("GET", f"stores/{slug}/", user=seller),
            200,
            label="pending store visible to owner",
        )
        stores = self.list_all("stores/?page_size=100")
        self.check(slug not in {s["slug"] for s in stores}, "pending store not listed")
        self.expect(
            self.request("POST", "products/", product_body, user=seller), 403, "store_not_approved"
        )
        self.expect(
            self.request("POST", f"stores/{slug}/approve/", user=seller),
            403,
            "permission_denied",
            "owner cannot approve",
        )
        resp = self.expect(self.request("POST", f"stores/{slug}/approve/", user=self.staff), 200)
        self.check(resp["is_approved"] is True, "approved", resp)
        resp = self.expect(
            self.request("POST", f"stores/{slug}/approve/", user=self.staff),
            200,
            label="approve twice",
        )
        self.check(resp["is_approved"] is True, "approve twice keeps it approved", resp)
        self.expect(
            self.request("POST", "stores/no-such-store/approve/", user=self.staff), 404, "not_found"
        )
        resp = self.expect(
            self.request("POST", "stores/", {"name": f"Other Store {self.suffix}"}, user=other), 201
        )
        self.expect(self.request("POST", f"stores/{resp['slug']}/approve/", user=self.staff), 200)
        self.other_store_slug = resp["slug"]
        self.other_store_id = resp["id"]

        for bad_price in (
            {"amount": 12.5, "currency": "AOA"}, {"amount": "-1.00", "currency": "AOA"},
            {"amount": "12.50", "currency": "XYZ"}, {"amount": "abc", "currency": "AOA"},
            {"amount": "12.505", "currency": "AOA"}, "12.50", {"amount": "12.50"},
            {"amount": "NaN", "currency": "AOA"}, {"amount": "1e30", "currency": "AOA"},
            {"amount": "0.00", "currency": "AOA"}, {"amount": "10000000000.00", "currency": "AOA"},
        ):  # fmt: skip
            resp = self.request(
                "POST", "products/", {**product_body, "price": bad_price}, user=seller
            )
            self.expect(resp, 400, "invalid", f"product price {bad_price}")
        for field, value in (
            ("stock_quantity", -1),
            ("stock_quantity", "x"),
            ("category", 999999),
            ("name", ""),
            ("attributes", [1]),
        ):
            resp = self.request("POST", "products/", {**product_body, field: value}, user=seller)
            self.expect(resp, 400, "invalid", f"product {field}={value!r}")
        resp = self.expect(self.request("POST", "products/", product_body, user=seller), 201)
        self.check_product_shape(resp.json, "created product")
        self.check(
            resp["price"] == self.money("1250")
            and resp["stock_quantity"] == 5
            and resp["store"]["slug"] == slug,
            "created product fields",
            resp,
        )
        self.check(resp["variants"] == [] and resp["parent"] is None, "standalone product", resp)
        lamp = resp.json
        self.expect(self.request("GET", f"products/{lamp['id']}/"), 200, label="new product public")
        resp = self.expect(
            self.request(
                "POST",
                "products/",
                {**product_body, "name": f"Smoke Shirt {self.suffix}", "stock_quantity": 0},
                user=seller,
            ),
            201,
        )
        group = resp.json
        variant_body = {
            "name": f"Smoke Shirt M {self.suffix}",
            "price": self.money("900"),
            "stock_quantity": 4,
            "attributes": {"size": "M"},
            "parent": group["id"],
        }
        resp = self.expect(
            self.request("POST", "products/", variant_body, user=seller),
            201,
            label="variant create",
        )
        variant = resp.json
        self.check(
            variant["parent"] == group["id"] and variant["attributes"] == {"size": "M"},
            "variant fields",
            resp,
        )
        resp = self.expect(
            self.request(
                "POST", "products/", {**variant_body, "parent": lamp["id"] + 100000}, user=seller
            ),
            400,
            "invalid",
            "variant of unknown parent",
        )
        resp = self.expect(
            self.request(
                "POST", "products/", {**variant_body, "parent": variant["id"]}, user=seller
            ),
            400,
            "invalid",
            "variant of a variant",
        )
        resp = self.request(
            "POST", "products/", {**variant_body, "parent": self.all_products[0]["id"]}, user=seller
        )
        self.check(resp.status in (400, 404), "variant of another store's product refused", resp)
        resp = self.expect(self.request("GET", f"products/{group['id']}/"), 200)
        self.check(
            [v["id"] for v in resp["variants"]] == [variant["id"]], "group lists its variant", resp
        )
        self.check(resp["in_stock"] is True, "group in stock through its variant", resp)
        resp = self.expect(self.request("GET", f"products/{variant['id']}/"), 200)
        self.check(resp["variants"] == [], "variant has no variants", resp)
        listed = self.list_all(f"products/?store={slug}&page_size=100")
        self.check(
            sorted(p["id"] for p in listed) == sorted([lamp["id"], group["id"]]),
            "store list: group and standalone, not the variant",
        )
        got = self.list_all(f"products/?store={slug}&max_price=1000&page_size=100")
        self.check(
            [p["id"] for p in got] == [group["id"]],
            "price filter matches a group through its variant",
        )

        resp = self.expect(
            self.request(
                "PATCH", f"products/{lamp['id']}/", {"price": self.money("1300")}, user=seller
            ),
            200,
        )
        self.check(resp["price"] == self.money("1300"), "PATCH price", resp)
        self.expect(
            self.request(
                "PATCH",
                f"products/{lamp['id']}/",
                {"price": {"amount": "-5", "currency": "AOA"}},
                user=seller,
            ),
            400,
            "invalid",
            "PATCH negative price",
        )
        self.expect(
            self.request("PATCH", f"products/{lamp['id']}/", {"parent": group["id"]}, user=seller),
            400,
            "invalid",
            "PATCH parent",
        )
        self.expect(
            self.request("PATCH", f"products/{lamp['id']}/", {"name": "x"}),
            401,
            "not_authenticated",
            "PATCH anonymous",
        )
        self.expect(
            self.request("PATCH", f"products/{lamp['id']}/", {"name": "x"}, user=other),
            403,
            "permission_denied",
            "PATCH by another seller",
        )
        self.expect(
            self.request("DELETE", f"products/{lamp['id']}/", user=other),
            403,
            "permission_denied",
            "DELETE by another seller",
        )
        resp = self.expect(
            self.request(
                "PATCH", f"products/{lamp['id']}/", {"stock_quantity": 6}, user=self.staff
            ),
            200,
            label="staff PATCH",
        )
        self.check(resp["stock_quantity"] == 6, "staff PATCH stock", resp)

        resp = self.expect(
            self.request(
                "POST",
                "products/",
                {**product_body, "name": f"Smoke Temp {self.suffix}"},
                user=seller,
            ),
            201,
        )
        temp = resp.json
        resp = self.request("DELETE", f"products/{temp['id']}/", user=seller)
        self.check(resp.status == 204 and not resp.raw, "DELETE 204 with no body", resp)
        self.expect(
            self.request("GET", f"products/{temp['id']}/"),
            404,
            "not_found",
            "deleted product hidden",
        )
        self.expect(
            self.request("DELETE", f"products/{temp['id']}/", user=seller),
            404,
            label="DELETE twice",
        )
        self.deleted_product = temp

        # Products used by the cart and checkout sections.
        def make(
            name: str, price: str, stock: int, currency: str = "AOA", owner: User | None = None
        ) -> dict[str, Any]:
            body = {
                "name": f"{name} {self.suffix}",
                "description": "",
                "price": self.money(price, currency),
                "stock_quantity": stock,
                "category": cat,
            }
            return self.expect(
                self.request("POST", "products/", body, user=owner or seller),
                201,
                label=f"create {name}",
            ).json

        self.lamp, self.group, self.variant = lamp, group, variant
        self.p_cart = make("Cart Item", "100.50", 5)
        self.p_usd = make("Dollar Item", "10.00", 5, "USD")
        self.p_checkout = make("Checkout Item", "2500.00", 100)
        self.p_other = make("Other Store Item", "300.00", 100, owner=other)
        self.p_race = make("Race Item", "10.00", 100)
        self.p_review = make("Review Item", "700.00", 50)
        self.p_money = make("Money Item", "1000.00", 200)
        self.p_split_a = make("Split Item", "1234.50", 50)
        self.p_split_b = make("Other Split Item", "765.25", 50, owner=other)

    def cart_shape(self, resp: Response) -> None:
        body = resp.json
        self.check(
            self.has_keys(
                body, {"token", "currency", "items", "item_count", "subtotal", "updated_at"}
            ),
            "cart keys",
            resp,
        )
        for item in body["items"]:
            self.check(
                self.has_keys(
                    item, {"id", "product", "quantity", "unit_price", "line_total", "available"}
                ),
                "cart item keys",
                resp,
            )
            self.check(
                set(item["product"]) == {"id", "name", "slug"}, "cart item product ref", resp
            )
            self.check(
                self.is_money(item["unit_price"], body["currency"])
                and self.is_money(item["line_total"], body["currency"]),
                "cart item money",
                resp,
            )
            self.check(
                Decimal(item["line_total"]["amount"])
                == Decimal(item["unit_price"]["amount"]) * item["quantity"],
                "line_total = unit_price x quantity",
                resp,
            )
        if body["items"]:
            self.check(self.is_money(body["subtotal"], body["currency"]), "subtotal money", resp)
            self.check(
                Decimal(body["subtotal"]["amount"])
                == sum(Decimal(i["line_total"]["amount"]) for i in body["items"]),
                "subtotal = sum of lines",
                resp,
            )
        else:
            self.check(
                body["subtotal"] is None and body["currency"] is None,
                "empty cart: subtotal and currency null",
                resp,
            )

    def product_stock(self, product_id: int) -> int:
        resp = self.request("GET", f"products/{product_id}/")
        self.expect(resp, 200, label="read stock")
        return int(resp["stock_quantity"])

    def cart(self) -> None:
        p, usd = self.p_cart, self.p_usd
        resp = self.expect(self.request("POST", "cart/"), 201, label="POST cart anonymous")
        self.cart_shape(resp)
        token = resp["token"]
        self.check(
            isinstance(token, str) and len(token) >= 22, f"cart token long enough ({token!r})", resp
        )
        resp = self.expect(self.request("GET", "cart/", cart=token), 200)
        self.cart_shape(resp)
        self.check(resp["items"] == [] and resp["item_count"] == 0, "new cart is empty", resp)
        self.expect(
            self.request("GET", "cart/", cart="nope-" + secrets.token_urlsafe(16)),
            404,
            "cart_not_found",
        )
        resp = self.request("GET", "cart/")
        self.check(resp.status in (404, 401), "GET cart/ without token nor user is 404/401", resp)
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 1}, cart="nope"),
            404,
            "cart_not_found",
            "add with unknown token",
        )
        resp = self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 2}, cart=token),
            201,
        )
        self.cart_shape(resp)
        self.check(
            resp["currency"] == "AOA"
            and len(resp["items"]) == 1
            and resp["items"][0]["quantity"] == 2,
            "added 2",
            resp,
        )
        self.check(
            resp["items"][0]["unit_price"] == self.money("100.50")
            and resp["items"][0]["available"] is True,
            "unit price",
            resp,
        )
        self.check(resp["subtotal"] == self.money("201.00"), "subtotal 201.00", resp)
        resp = self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 1}, cart=token),
            201,
            label="add again",
        )
        self.check(
            len(resp["items"]) == 1 and resp["items"][0]["quantity"] == 3,
            "adding again adds to the quantity",
            resp,
        )
        self.check(resp["item_count"] in (3, 1), "item_count", resp)
        item_id = resp["items"][0]["id"]
        for bad in (0, 100, "x", -1, 1.5, None, True, "", [1]):
            resp = self.request(
                "POST", "cart/items/", {"product": p["id"], "quantity": bad}, cart=token
            )
            self.expect(resp, 400, "invalid", f"quantity {bad!r}")
            if resp.status == 400 and resp["code"] == "invalid":
                self.check(
                    "quantity" in resp["fields"], f"quantity {bad!r} reported on quantity", resp
                )
        self.expect(
            self.request("POST", "cart/items/", {"product": 999999999, "quantity": 1}, cart=token),
            400,
            "product_unavailable",
            "unknown product",
        )
        self.expect(
            self.request(
                "POST",
                "cart/items/",
                {"product": self.deleted_product["id"], "quantity": 1},
                cart=token,
            ),
            400,
            "product_unavailable",
            "deleted product",
        )
        self.expect(
            self.request("POST", "cart/items/", {"product": "abc", "quantity": 1}, cart=token),
            400,
            label="product 'abc'",
        )
        self.expect(
            self.request("POST", "cart/items/", {"quantity": 1}, cart=token),
            400,
            "invalid",
            "no product",
        )
        self.expect(
            self.request(
                "POST", "cart/items/", {"product": self.group["id"], "quantity": 1}, cart=token
            ),
            400,
            "product_not_purchasable",
        )
        resp = self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 3}, cart=token),
            409,
            "insufficient_stock",
            "3 + 3 > stock 5",
        )
        self.check(resp["available"] == 5, "insufficient_stock carries available=5", resp)
        resp = self.expect(
            self.request("POST", "cart/items/", {"product": usd["id"], "quantity": 1}, cart=token),
            409,
            "currency_mismatch",
        )
        resp = self.expect(self.request("GET", "cart/", cart=token), 200)
        self.check(
            len(resp["items"]) == 1 and resp["items"][0]["quantity"] == 3,
            "refused adds changed nothing",
            resp,
        )
        resp = self.expect(
            self.request("PATCH", f"cart/items/{item_id}/", {"quantity": 1}, cart=token), 200
        )
        self.check(resp["items"][0]["quantity"] == 1, "PATCH quantity 1", resp)
        self.expect(
            self.request("PATCH", f"cart/items/{item_id}/", {"quantity": 6}, cart=token),
            409,
            "insufficient_stock",
            "PATCH above stock",
        )
        self.expect(
            self.request("PATCH", f"cart/items/{item_id}/", {"quantity": 0}, cart=token),
            400,
            "invalid",
            "PATCH quantity 0",
        )
        self.expect(
            self.request("PATCH", f"cart/items/{item_id}/", {}, cart=token),
            400,
            "invalid",
            "PATCH without quantity",
        )
        self.expect(
            self.request("PATCH", "cart/items/999999999/", {"quantity": 1}, cart=token),
            404,
            label="PATCH unknown item",
        )

        # Someone else's cart.
        other = self.expect(self.request("POST", "cart/"), 201)["token"]
        self.expect(
            self.request("PATCH", f"cart/items/{item_id}/", {"quantity": 2}, cart=other),
            404,
            label="PATCH another cart's item",
        )
        self.expect(
            self.request("DELETE", f"cart/items/{item_id}/", cart=other),
            404,
            label="DELETE another cart's item",
        )
        shopper = self.register("shopper")
        resp = self.expect(
            self.request("POST", "cart/", user=shopper), 200, label="POST cart authenticated"
        )
        user_token = resp["token"]
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 1}, user=shopper),
            201,
            label="user adds without token",
        )
        resp = self.request("GET", "cart/", cart=user_token)
        self.expect(resp, 404, "cart_not_found", "a user's cart token used anonymously")
        resp = self.request(
            "POST", "cart/items/", {"product": p["id"], "quantity": 1}, cart=user_token
        )
        self.expect(resp, 404, "cart_not_found", "add to a user's cart anonymously")
        resp = self.request("GET", "cart/", user=self.other_seller, cart=token)
        self.check(
            resp.status == 200 and resp["token"] != token,
            "a user's GET with an anonymous token gives the user's own cart",
            resp,
        )
        resp = self.expect(self.request("GET", "cart/", cart=token), 200)
        self.check(len(resp["items"]) == 1, "anonymous cart untouched by others", resp)

        resp = self.expect(self.request("DELETE", f"cart/items/{item_id}/", cart=token), 200)
        self.check(resp["items"] == [], "DELETE item", resp)
        self.expect(
            self.request("DELETE", f"cart/items/{item_id}/", cart=token),
            404,
            label="DELETE item twice",
        )
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 2}, cart=token),
            201,
        )
        resp = self.request("DELETE", "cart/", cart=token)
        self.check(resp.status == 204, "DELETE cart 204", resp)
        resp = self.expect(self.request("GET", "cart/", cart=token), 200)
        self.check(resp["items"] == [] and resp["currency"] is None, "DELETE cart empties it", resp)
        self.expect(
            self.request("POST", "cart/items/", {"product": usd["id"], "quantity": 1}, cart=token),
            201,
            label="emptied cart takes another currency",
        )

        # Merge.
        anon = self.expect(self.request("POST", "cart/"), 201)["token"]
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 4}, cart=anon), 201
        )
        self.expect(
            self.request(
                "POST", "cart/items/", {"product": self.variant["id"], "quantity": 2}, cart=anon
            ),
            201,
        )
        self.expect(
            self.request("POST", "cart/merge/", {"token": anon}),
            401,
            "not_authenticated",
            "merge anonymous",
        )
        buyer = self.register("merger")
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 3}, user=buyer),
            201,
        )
        self.expect(
            self.request(
                "POST", "cart/merge/", {"token": "nope-" + secrets.token_urlsafe(16)}, user=buyer
            ),
            404,
            "cart_not_found",
            "merge unknown token",
        )
        self.expect(
            self.request("POST", "cart/merge/", {}, user=buyer),
            400,
            "invalid",
            "merge without token",
        )
        resp = self.expect(self.request("POST", "cart/merge/", {"token": anon}, user=buyer), 200)
        self.cart_shape(resp)
        by_product = {i["product"]["id"]: i["quantity"] for i in resp["items"]}
        self.check(
            by_product == {p["id"]: 5, self.variant["id"]: 2},
            f"merge adds quantities capped by stock {by_product}",
            resp,
        )
        self.expect(
            self.request("GET", "cart/", cart=anon),
            404,
            "cart_not_found",
            "merged anonymous cart is gone",
        )
        resp = self.request("POST", "cart/merge/", {"token": user_token}, user=buyer)
        self.expect(resp, 404, "cart_not_found", "merge another user's cart")
        usd_cart = self.expect(self.request("POST", "cart/"), 201)["token"]
        self.expect(
            self.request(
                "POST", "cart/items/", {"product": usd["id"], "quantity": 1}, cart=usd_cart
            ),
            201,
        )
        resp = self.request("POST", "cart/merge/", {"token": usd_cart}, user=buyer)
        # Lines that cannot join the user's cart (another currency) are left out of a merge.
        self.check(
            (resp.status == 200 and all(i["product"]["id"] != usd["id"] for i in resp["items"]))
            or (
                resp.status in (400, 409) and resp["code"] in ("currency_mismatch", "invalid_merge")
            ),
            "merge never mixes currencies",
            resp,
        )
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)

    def fill_cart(self, user: User, product: dict[str, Any], quantity: int = 1) -> None:
        self.expect(self.request("DELETE", "cart/", user=user), 204, label="empty cart")
        self.expect(
            self.request(
                "POST", "cart/items/", {"product": product["id"], "quantity": quantity}, user=user
            ),
            201,
            label="fill cart",
        )

    def checkout_body(self, token: str = "tok_success", **extra: Any) -> dict[str, Any]:
        return {
            "shipping_address": ADDRESS,
            "payment_method": "dummy",
            "payment_data": {"token": token},
            **extra,
        }

    def order_shape(self, order: dict[str, Any], label: str) -> None:
        """The full view of an order (the buyer's, or staff's): the contract's keys, the money it
        holds and owes, and the payments' totals adding up to the order's."""
        self.check(self.has_keys(order, ORDER_KEYS), f"{label}: order keys {order}")
        cur = order["currency"]
        for key in ("subtotal", "shipping", "tax", "total"):
            self.check(self.is_money(order[key], cur), f"{label}: {key} money")
        self.check(
            Decimal(order["total"]["amount"])
            == sum(Decimal(order[k]["amount"]) for k in ("subtotal", "shipping", "tax")),
            f"{label}: total = subtotal + shipping + tax",
        )
        for item in order["items"]:
            self.check(
                self.has_keys(
                    item,
                    {
                        "id",
                        "product",
                        "product_name",
                        "unit_price",
                        "quantity",
                        "line_total",
                        "store",
                    },
                ),
                f"{label}: item keys {sorted(item)}",
            )
        for ful in order["fulfilments"]:
            self.check(
                self.has_keys(ful, {"id", "store", "status", "tracking_number", "items"}),
                f"{label}: fulfilment keys {sorted(ful)}",
            )
            self.check(
                set(ful["store"]) == {"id", "slug", "name"}, f"{label}: fulfilment store ref"
            )
        for pay in order["payments"]:
            self.payment_shape(pay, label)
        self.check(
            isinstance(order["available_transitions"], list), f"{label}: available_transitions list"
        )
        self.check(
            bool(re.match(r"^[A-Z0-9]+(-[A-Z0-9]{4}){2,}$", order["number"])),
            f"{label}: order number format {order['number']}",
        )
        self.order_money_shape(order, label)

    def order_money_shape(self, order: dict[str, Any], label: str) -> None:
        """``view``, ``status``, ``charge_status``, ``authorize_status``, ``charged``,
        ``refunded``, ``held``, ``due`` and ``hold_reason`` of a full view, and how they agree."""
        cur, status = order.get("currency"), order.get("status")
        self.check(order.get("view") == "full", f"{label}: view is full ({order.get('view')})")
        self.check(status in ORDER_STATUSES, f"{label}: order status {status!r}")
        if not self.check(
            self.has_keys(order, ORDER_MONEY_FIELDS),
            f"{label}: order money keys {sorted(ORDER_MONEY_FIELDS - set(order))} missing",
        ):
            return
        if not all(
            self.check(self.is_money(order[k], cur), f"{label}: {k} is Money {order[k]}")
            for k in sorted(ORDER_MONEY_KEYS)
        ):
            return
        charged, refunded, held, due = (
            self.amount(order[k]) for k in ("charged", "refunded", "held", "due")
        )
        self.check(
            order["charge_status"] in CHARGE_STATUSES,
            f"{label}: charge_status {order['charge_status']!r}",
        )
        self.check(
            order["authorize_status"] in AUTHORIZE_STATUSES,
            f"{label}: authorize_status {order['authorize_status']!r}",
        )
        if charged == 0:
            self.check(
                order["charge_status"] == "none",
                f"{label}: nothing charged, charge_status {order['charge_status']!r}",
            )
        expected_authorize = "none" if held <= 0 else "partial" if held < due else "full"
        self.check(
            order["authorize_status"] == expected_authorize,
            f"{label}: authorize_status {order['authorize_status']!r} with {held} held of {due} "
            f"owed (expected {expected_authorize!r})",
        )
        self.check(
            Decimal(0) <= due <= self.amount(order["total"]),
            f"{label}: 0 <= due ({due}) <= total",
        )
        self.check(isinstance(order["hold_reason"], str), f"{label}: hold_reason is a string")
        if status == "on_hold":
            self.check(
                bool(order["hold_reason"]) and held < due,
                f"{label}: on_hold with a hold_reason and less held ({held}) than owed ({due})",
            )
        elif status in ("pending", "confirmed"):
            self.check(order["hold_reason"] == "", f"{label}: {status} order has no hold_reason")
        if status == "confirmed":
            self.check(held >= due, f"{label}: confirmed with {held} held of {due} owed")
        if status == "pending":
            self.check(held == 0, f"{label}: pending with {held} held")
        pays = order.get("payments") or []
        if pays and all(
            self.is_money(p.get(k))
            for p in pays
            for k in ("captured", "refunded", "refund_pending", "authorized")
        ):
            captured = sum(self.amount(p["captured"]) for p in pays)
            given = sum(self.amount(p["refunded"]) for p in pays)
            self.check(
                charged == captured,
                f"{label}: order charged {charged} = payments captured {captured}",
            )
            self.check(
                refunded == given,
                f"{label}: order refunded {refunded} = payments refunded {given}",
            )
            net = sum(
                max(
                    self.amount(p["captured"])
                    - self.amount(p["refunded"])
                    - self.amount(p["refund_pending"]),
                    Decimal(0),
                )
                for p in pays
            )
            ceiling = sum(
                max(
                    self.amount(p["captured"])
                    - self.amount(p["refunded"])
                    - self.amount(p["refund_pending"])
                    + self.amount(p["authorized"]),
                    Decimal(0),
                )
                for p in pays
            )
            self.check(
                net <= held <= ceiling,
                f"{label}: held {held} between net captured {net} and net captured plus "
                f"authorized {ceiling}",
            )

    def seller_view_shape(
        self, order: dict[str, Any], store_id: int, label: str, lines: int | None = None
    ) -> None:
        """A seller's view: only their store's lines and fulfilment, their share as subtotal,
        no amounts of the whole order, no payments."""
        self.check(order.get("view") == "seller", f"{label}: view is seller ({order.get('view')})")
        items = order.get("items") or []
        self.check(
            bool(items) and all(i["store"] == store_id for i in items),
            f"{label}: only the seller's lines {[i['store'] for i in items]}",
        )
        if lines is not None:
            self.check(len(items) == lines, f"{label}: {lines} line(s) ({len(items)})")
        fuls = order.get("fulfilments") or []
        self.check(
            bool(fuls) and all(f["store"]["id"] == store_id for f in fuls),
            f"{label}: only the seller's fulfilment",
        )
        if items and self.is_money(order.get("subtotal")):
            self.check(
                self.amount(order["subtotal"]) == sum(self.amount(i["line_total"]) for i in items),
                f"{label}: subtotal is the seller's share {order['subtotal']}",
            )
        else:
            self.check(False, f"{label}: seller's subtotal is Money {order.get('subtotal')}")
        nulls: tuple[str, ...] = ("shipping", "tax", "total", "charge_status", "authorize_status")
        nulls += tuple(sorted(ORDER_MONEY_KEYS))
        self.check(
            all(k in order and order[k] is None for k in nulls),
            f"{label}: {', '.join(nulls)} null "
            f"({ {k: order.get(k, 'missing') for k in nulls if order.get(k) is not None} })",
        )
        self.check(order.get("payments") == [], f"{label}: no payments")
        reason = order.get("hold_reason")
        self.check(
            isinstance(reason, str) and not re.search(r"\d", reason),
            f"{label}: hold_reason names no amount ({reason!r})",
        )

    def payment_shape(self, pay: dict[str, Any], label: str) -> None:
        """A payment: the contract's keys and those the ledger added, its refunds adding up to
        ``refunded`` and ``refund_pending``, and a status that follows from its amounts."""
        self.check(self.has_keys(pay, PAYMENT_KEYS), f"{label}: payment keys {pay}")
        cur = pay["amount"]["currency"] if isinstance(pay.get("amount"), dict) else None
        money_ok = all(
            self.check(
                self.is_money(pay.get(key), cur), f"{label}: payment {key} money {pay.get(key)}"
            )
            for key in ("amount", "authorized", "captured", "refunded", "refund_pending")
        )
        status = pay.get("status")
        self.check(status in PAYMENT_STATUSES, f"{label}: payment status {status!r}")
        self.check(
            isinstance(pay.get("created_at"), str) and bool(ISO_TS_RE.match(pay["created_at"])),
            f"{label}: payment created_at ISO 8601 with zone",
        )
        refunds = pay.get("refunds")
        listed = self.check(isinstance(refunds, list), f"{label}: payment refunds is a list")
        if not listed or not isinstance(refunds, list):
            return
        for refund in refunds:
            self.check(
                isinstance(refund, dict) and set(refund) == REFUND_KEYS,
                f"{label}: refund keys {refund}",
            )
            if not isinstance(refund, dict) or not REFUND_KEYS <= set(refund):
                return
            self.check(
                self.is_money(refund["amount"], cur) and self.amount(refund["amount"]) > 0,
                f"{label}: refund amount above zero {refund['amount']}",
            )
            self.check(
                refund["state"] in REFUND_STATES and refund["reason"] in REFUND_REASONS,
                f"{label}: refund state {refund['state']!r} and reason {refund['reason']!r}",
            )
            self.check(
                isinstance(refund["reference"], str)
                and (
                    refund["idempotency_key"] is None or isinstance(refund["idempotency_key"], str)
                )
                and isinstance(refund["created_at"], str)
                and bool(ISO_TS_RE.match(refund["created_at"])),
                f"{label}: refund reference, idempotency_key, created_at {refund}",
            )
        if not money_ok or not all(self.is_money(r.get("amount")) for r in refunds):
            return
        captured, refunded, pending, authorized = (
            self.amount(pay[k]) for k in ("captured", "refunded", "refund_pending", "authorized")
        )
        done = sum(
            (self.amount(r["amount"]) for r in refunds if r["state"] == "succeeded"), Decimal(0)
        )
        open_ = sum(
            (self.amount(r["amount"]) for r in refunds if r["state"] in ("requested", "unknown")),
            Decimal(0),
        )
        self.check(
            done == refunded and open_ == pending,
            f"{label}: refunds add up: succeeded {done} = refunded {refunded}, "
            f"open {open_} = refund_pending {pending}",
        )
        self.check(
            refunded + pending <= captured,
            f"{label}: refunded {refunded} + refund_pending {pending} <= captured {captured}",
        )
        if captured > 0:
            expected = (
                {"refunded"}
                if refunded >= captured
                else ({"partially_refunded"} if refunded > 0 else {"captured"})
            )
        elif authorized > 0:
            expected = {"authorized"}
        else:
            expected = {"voided", "failed", "pending"}
        self.check(
            status in expected,
            f"{label}: payment status {status!r} with captured {captured}, refunded {refunded}, "
            f"authorized {authorized} (expected {sorted(expected)})",
        )

    def sign(self, raw: bytes) -> str:
        return "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()

    def webhook(
        self, payload: dict[str, Any], signature: str | None = None, gateway: str = "dummy"
    ) -> Response:
        raw = json.dumps(payload).encode()
        headers = {"X-Dummy-Signature": signature if signature is not None else self.sign(raw)}
        return self.request("POST", f"payments/webhooks/{gateway}/", raw=raw, headers=headers)

    def order(self, number: str, user: User) -> dict[str, Any]:
        return self.expect(
            self.request("GET", f"orders/{number}/", user=user), 200, label="GET order"
        ).json

    def checkout(self) -> None:
        buyer = self.buyer = self.register("buyer")
        stranger = self.stranger = self.register("stranger")
        p = self.p_checkout
        self.expect(
            self.request("POST", "checkout/", self.checkout_body()),
            401,
            "not_authenticated",
            "checkout anonymous",
        )
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)
        self.expect(
            self.request("POST", "checkout/", self.checkout_body(), user=buyer), 400, "cart_empty"
        )

        resp = self.expect(self.request("GET", "payment-methods/"), 200)
        methods = resp.json if isinstance(resp.json, list) else resp["results"]
        self.check(any(m["id"] == "dummy" for m in methods), "dummy payment method listed", resp)
        for m in methods:
            self.check(
                set(m) == {"id", "name", "currencies", "flow"}
                and m["flow"] in ("immediate", "redirect", "reference"),
                f"payment method shape {m}",
            )
        resp = self.expect(self.request("GET", "payment-methods/?currency=AOA"), 200)
        self.check(resp.status == 200, "payment-methods ?currency=AOA")
        resp = self.request("GET", "payment-methods/?currency=XYZ")
        self.check(
            resp.status in (200, 400)
            and (resp.status == 400 or (resp.json == [] or resp["results"] == [])),
            "payment-methods unknown currency: empty or 400",
            resp,
        )

        self.fill_cart(buyer, p, 2)
        stock0 = self.product_stock(p["id"])
        for label, body in (("unknown payment method", self.checkout_body(payment_method="nope")),):
            self.expect(
                self.request("POST", "checkout/", body, user=buyer),
                400,
                "unknown_payment_method",
                label,
            )
        for label, body in (
            ("no address", {"payment_method": "dummy", "payment_data": {}}),
            ("bad country", self.checkout_body(shipping_address={**ADDRESS, "country": "XX"})),
            (
                "lowercase-3 country",
                self.checkout_body(shipping_address={**ADDRESS, "country": "AGO"}),
            ),
            (
                "no full_name",
                self.checkout_body(
                    shipping_address={k: v for k, v in ADDRESS.items() if k != "full_name"}
                ),
            ),
            ("address not object", self.checkout_body(shipping_address="Luanda")),
            ("payment_data not object", self.checkout_body(payment_data="tok_success")),
            (
                "expected_total float",
                self.checkout_body(expected_total={"amount": 5000.0, "currency": "AOA"}),
            ),
            (
                "expected_total currency",
                self.checkout_body(expected_total={"amount": "5000.00", "currency": "XYZ"}),
            ),
            ("no payment method", {"shipping_address": ADDRESS}),
        ):
            self.expect(self.request("POST", "checkout/", body, user=buyer), 400, "invalid", label)
        self.check(self.product_stock(p["id"]) == stock0, "bad checkouts reserved nothing")

        resp = self.expect(
            self.request(
                "POST",
                "checkout/",
                self.checkout_body(expected_total=self.money("1.00")),
                user=buyer,
            ),
            409,
            "price_changed",
        )
        for key in ("subtotal", "shipping", "tax", "total"):
            self.check(self.is_money(resp[key], "AOA"), f"price_changed carries {key}", resp)
        self.check(
            resp["total"] == self.money("5000.00")
            or Decimal(resp["total"]["amount"]) >= Decimal("5000"),
            "price_changed total",
            resp,
        )
        self.check(self.product_stock(p["id"]) == stock0, "price_changed reserved nothing")
        expected_total = resp["total"]

        # tok_success
        resp = self.expect(
            self.request(
                "POST", "checkout/", self.checkout_body(expected_total=expected_total), user=buyer
            ),
            201,
            label="checkout tok_success",
        )
        self.check(set(resp.json) == {"order", "payment"}, "checkout answer keys", resp)
        order, payment = resp["order"], resp["payment"]
        self.order_shape(order, "checkout order")
        self.payment_shape(payment, "checkout payment")
        self.check(order["status"] == "confirmed", "tok_success: order confirmed", resp)
        self.check(
            payment["status"] == "captured" and payment["captured"] == order["total"],
            "tok_success: payment captured",
            resp,
        )
        self.check(
            order["subtotal"] == self.money("5000.00") and order["items"][0]["quantity"] == 2,
            "order subtotal and lines",
            resp,
        )
        self.check(order["shipping_address"].get("city") == "Luanda", "shipping address kept", resp)
        self.check(self.product_stock(p["id"]) == stock0 - 2, "stock reserved")
        resp = self.expect(self.request("GET", "cart/", user=buyer), 200)
        self.check(resp["items"] == [], "cart emptied after checkout", resp)
        self.confirmed = order["number"]
        got = self.order(order["number"], buyer)
        self.order_shape(got, "GET order")
        self.expect(
            self.request("GET", f"orders/{order['number']}/", user=stranger),
            404,
            "not_found",
            "another user's order",
        )
        self.expect(
            self.request("GET", "orders/EK-0000-0000/", user=buyer),
            404,
            "not_found",
            "unknown order",
        )
        resp = self.expect(
            self.request("GET", f"orders/{order['number']}/", user=self.seller),
            200,
            label="seller with a fulfilment sees the order",
        )
        self.seller_view_shape(resp.json, self.store_id, "seller's view", lines=1)
        self.check(
            resp["status"] == "confirmed" and resp["hold_reason"] == "",
            "seller's view: status as it is",
            resp,
        )
        self.expect(
            self.request("GET", f"orders/{order['number']}/payments/", user=self.seller),
            404,
            "not_found",
            "a seller may not list the order's payments",
        )
        self.expect(
            self.request("GET", f"orders/{order['number']}/", user=self.other_seller),
            404,
            "not_found",
            "unrelated seller",
        )
        resp = self.expect(
            self.request("GET", f"orders/{order['number']}/", user=self.staff),
            200,
            label="staff sees the order",
        )
        self.order_shape(resp.json, "staff's view")
        self.check(
            resp["payments"] == got["payments"], "staff with view_payment sees the payments", resp
        )
        resp = self.expect(
            self.request("GET", f"orders/{order['number']}/payments/", user=buyer), 200
        )
        pays = resp.json if isinstance(resp.json, list) else resp["results"]
        self.check(len(pays) == 1 and pays[0]["id"] == payment["id"], "order payments", resp)
        self.expect(
            self.request("GET", f"orders/{order['number']}/payments/", user=stranger),
            404,
            "not_found",
            "payments of another's order",
        )

        # tok_decline
        self.fill_cart(buyer, p, 1)
        stock1 = self.product_stock(p["id"])
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_decline"), user=buyer),
            402,
            "payment_declined",
        )
        self.check(self.product_stock(p["id"]) == stock1, "decline restores stock")
        resp = self.expect(self.request("GET", "cart/", user=buyer), 200)
        self.check(len(resp["items"]) == 1, "decline keeps the cart", resp)
        orders = self.list_all("orders/?status=cancelled", user=buyer)
        self.check(len(orders) == 1, f"declined order is cancelled ({len(orders)})")

        # tok_pending + webhook
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
            201,
            label="checkout tok_pending",
        )
        order, payment = resp["order"], resp["payment"]
        self.check(
            order["status"] == "pending" and payment["status"] == "pending",
            "tok_pending: pending",
            resp,
        )
        self.check(self.product_stock(p["id"]) == stock1 - 1, "pending order reserves stock")
        self.payment_shape(payment, "pending payment")
        self.check(
            payment["refunds"] == []
            and all(payment[k] == self.money("0") for k in ("authorized", "captured", "refunded")),
            "a pending payment holds nothing",
            resp,
        )
        self.check(
            order["charge_status"] == "none"
            and order["authorize_status"] == "none"
            and order["held"] == self.money("0")
            and order["due"] == order["total"],
            "a pending order holds nothing and is owed its total",
            resp,
        )
        self.check("pay" in order["available_transitions"], "pay offered on a pending order", resp)
        resp = self.request(
            "POST",
            f"orders/{order['number']}/pay/",
            {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
            user=buyer,
        )
        self.expect(resp, 409, "payment_in_progress", "pay/ while a payment is under way")
        if resp.status == 409:
            self.check(
                resp["payment"] == payment["id"], "payment_in_progress names the payment", resp
            )
        got = self.order(order["number"], buyer)
        self.check(
            [x["id"] for x in got["payments"]] == [payment["id"]]
            and got["payments"][0]["status"] == "pending",
            "payment_in_progress started no payment",
        )
        event = {
            "event_id": f"evt-{self.suffix}-1",
            "payment_id": payment["id"],
            "type": "payment.captured",
            "amount": payment["amount"],
        }
        over = self.money(self.amount(payment["amount"]) + Decimal("0.01"))
        for kind in ("captured", "authorized", "refunded"):
            resp = self.webhook(
                {
                    **event,
                    "event_id": f"evt-{self.suffix}-over-{kind}",
                    "type": f"payment.{kind}",
                    "amount": over,
                }
            )
            self.expect(resp, 400, "invalid", f"{kind} event above the payment's amount")
        resp = self.webhook(
            {**event, "event_id": f"evt-{self.suffix}-usd", "amount": self.money("1.00", "USD")}
        )
        self.expect(resp, 400, "invalid", "capture event in another currency")
        self.check(
            self.order(order["number"], buyer)["payments"] == got["payments"],
            "refused events changed nothing",
        )
        resp = self.webhook(event, signature="sha256=" + "0" * 64)
        self.expect(resp, 400, "invalid_signature", "forged signature")
        resp = self.request("POST", "payments/webhooks/dummy/", raw=json.dumps(event).encode())
        self.expect(resp, 400, "invalid_signature", "missing signature")
        self.check(
            self.order(order["number"], buyer)["status"] == "pending",
            "forged webhook changed nothing",
        )
        self.expect(self.webhook(event, gateway="nope"), 404, label="unknown gateway")
        resp = self.webhook(event)
        self.expect(resp, 200, label="signed webhook")
        self.check(resp["result"] == "captured", "webhook result 'captured'", resp)
        got = self.order(order["number"], buyer)
        self.order_shape(got, "order paid by webhook")
        self.check(got["status"] == "confirmed", "webhook capture confirms the order", resp)
        self.check(
            got["payments"][0]["status"] == "captured"
            and got["payments"][0]["captured"] == payment["amount"],
            "payment captured once",
        )
        resp = self.webhook(event)
        self.expect(resp, 200, label="same webhook again")
        self.check(resp["result"] == "duplicate", "a replayed event is a duplicate", resp)
        again = self.order(order["number"], buyer)
        self.check(
            again["payments"] == got["payments"] and again["status"] == "confirmed",
            "replay changed nothing",
        )
        resp = self.webhook({**event, "event_id": f"evt-{self.suffix}-1b"})
        self.check(resp.status == 200, "duplicate capture under a new event id is 200", resp)
        self.check(
            self.order(order["number"], buyer)["payments"] == got["payments"],
            "duplicate capture changed nothing",
        )
        for bad in (
            b"",
            b"{",
            b"[]",
            json.dumps({"event_id": "x"}).encode(),
            json.dumps({**event, "payment_id": 999999999, "event_id": "e-unknown"}).encode(),
            json.dumps({**event, "amount": "abc", "event_id": "e-bad"}).encode(),
        ):
            resp = self.request(
                "POST",
                "payments/webhooks/dummy/",
                raw=bad,
                headers={"X-Dummy-Signature": self.sign(bad)},
            )
            self.check(
                resp.status < 500, f"signed malformed webhook {bad[:40]!r} is not a 5xx", resp
            )

        # A capture of less than the amount due does not pay the order: it is on hold, the money
        # stays held, and cancelling the order gives it back.
        self.fill_cart(buyer, p, 1)
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
            201,
            label="checkout tok_pending (short capture)",
        )
        short_order, short_payment = resp["order"], resp["payment"]
        self.expect(
            self.webhook(
                {
                    **event,
                    "event_id": f"evt-{self.suffix}-zero",
                    "payment_id": short_payment["id"],
                    "amount": self.money("0"),
                }
            ),
            400,
            "invalid",
            "capture of nothing",
        )
        resp = self.webhook(
            {
                **event,
                "event_id": f"evt-{self.suffix}-short",
                "payment_id": short_payment["id"],
                "amount": self.money("1.00"),
            }
        )
        self.expect(resp, 200, label="short capture webhook")
        got = self.order(short_order["number"], buyer)
        self.order_shape(got, "short-captured order")
        self.check(got["status"] == "on_hold", "a short capture puts the order on hold", resp)
        pay = got["payments"][0]
        self.check(
            pay["captured"] == self.money("1.00")
            and pay["refunded"] == self.money("0")
            and pay["status"] == "captured",
            f"a short capture stays held ({pay['status']}, refunded {pay['refunded']})",
        )
        self.check(
            got["charge_status"] == "partial"
            and got["held"] == self.money("1.00")
            and got["due"] == short_order["total"]
            and bool(got["hold_reason"]),
            "on hold: 1.00 held of the total, with a hold_reason",
        )
        ful = short_order["fulfilments"][0]["id"]
        resp = self.request("POST", f"fulfilments/{ful}/process/", user=self.seller)
        self.expect(resp, 409, "payment_missing", "process an order on hold")
        seller_view = self.expect(
            self.request("GET", f"orders/{short_order['number']}/", user=self.seller),
            200,
            label="seller reads an order on hold",
        ).json
        self.seller_view_shape(seller_view, self.store_id, "seller's view of an order on hold")
        self.check(
            seller_view.get("status") == "on_hold" and bool(seller_view.get("hold_reason")),
            "the seller sees that the order is on hold",
        )
        resp = self.request(
            "POST",
            f"orders/{short_order['number']}/pay/",
            {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
            user=buyer,
        )
        self.check(
            resp.status == 409
            and resp["code"] in ("payment_in_progress", "transition_not_allowed"),
            "pay/ while a payment holds money is refused",
            resp,
        )
        resp = self.request("POST", f"orders/{short_order['number']}/cancel/", user=buyer)
        self.expect(resp, 200, label="cancel the short-captured order")
        if resp.status == 200:
            self.order_shape(resp.json, "cancelled short-captured order")
            pay = resp["payments"][0]
            self.check(
                resp["status"] == "cancelled"
                and pay["refunded"] == self.money("1.00")
                and pay["status"] == "refunded"
                and [r["reason"] for r in pay["refunds"]] == ["release"]
                and resp["held"] == self.money("0"),
                "cancelling gives the short capture back",
                resp,
            )

        # tok_error then pay/
        self.fill_cart(buyer, p, 1)
        stock2 = self.product_stock(p["id"])
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_error"), user=buyer),
            502,
            "gateway_error",
        )
        number = (
            resp["order"]
            if isinstance(resp["order"], str)
            else (resp["order"] or {}).get("number")
            if isinstance(resp["order"], dict)
            else resp["number"]
        )
        pending = self.list_all("orders/?status=pending", user=buyer)
        self.check(len(pending) == 1, f"tok_error leaves one pending order ({len(pending)})")
        if number is None and pending:
            number = pending[0]["number"]
            self.notes.append(
                "502 gateway_error body does not name the order; "
                "found it through orders/?status=pending"
            )
        self.check(self.product_stock(p["id"]) == stock2 - 1, "tok_error keeps the stock reserved")
        self.expect(
            self.request(
                "POST",
                f"orders/{number}/pay/",
                {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
                user=stranger,
            ),
            404,
            "not_found",
            "pay another's order",
        )
        self.expect(
            self.request(
                "POST",
                f"orders/{number}/pay/",
                {"payment_method": "nope", "payment_data": {}},
                user=buyer,
            ),
            400,
            "unknown_payment_method",
            "pay unknown method",
        )
        resp = self.request(
            "POST",
            f"orders/{number}/pay/",
            {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
            user=buyer,
        )
        self.check(resp.status in (200, 201), "pay/ with tok_success", resp)
        got = self.order(number, buyer)
        self.check(got["status"] == "confirmed", "pay/ confirms the order", resp)
        self.check(self.product_stock(p["id"]) == stock2 - 1, "pay/ reserves nothing more")
        resp = self.request(
            "POST",
            f"orders/{number}/pay/",
            {"payment_method": "dummy", "payment_data": {"token": "tok_success"}},
            user=buyer,
        )
        self.expect(resp, 409, "transition_not_allowed", "pay/ a confirmed order")
        self.paid_after_error = number

        # Idempotency.
        self.fill_cart(buyer, p, 1)
        key = "smoke-" + secrets.token_hex(8)
        first = self.expect(
            self.request(
                "POST",
                "checkout/",
                self.checkout_body(),
                user=buyer,
                headers={"Idempotency-Key": key},
            ),
            201,
            label="checkout with key",
        )
        stock3 = self.product_stock(p["id"])
        again = self.request(
            "POST", "checkout/", self.checkout_body(), user=buyer, headers={"Idempotency-Key": key}
        )
        self.check(again.status == 201 and again.json == first.json, "same key: same answer", again)
        self.check(self.product_stock(p["id"]) == stock3, "same key: nothing done again")
        resp = self.request(
            "POST",
            "checkout/",
            self.checkout_body("tok_pending"),
            user=buyer,
            headers={"Idempotency-Key": key},
        )
        self.expect(resp, 422, "idempotency_key_reused")
        resp = self.request(
            "POST",
            "checkout/",
            self.checkout_body(),
            user=stranger,
            headers={"Idempotency-Key": key},
        )
        self.expect(resp, 400, "cart_empty", "same key, another user: independent")
        self.expect(
            self.request(
                "POST",
                "checkout/",
                self.checkout_body(),
                user=buyer,
                headers={"Idempotency-Key": "k" * 256},
            ),
            400,
            label="key too long",
        )

        # Orders list.
        resp = self.expect(self.request("GET", "orders/", user=buyer), 200)
        self.check(
            set(resp.json) == {"count", "next", "previous", "results"}, "orders paginated", resp
        )
        self.check(resp["count"] == 6, f"buyer has 6 orders ({resp['count']})", resp)
        resp = self.expect(self.request("GET", "orders/?status=confirmed", user=buyer), 200)
        self.check(
            resp["count"] == 4 and all(o["status"] == "confirmed" for o in resp["results"]),
            "status filter",
            resp,
        )
        self.expect(
            self.request("GET", "orders/?status=bogus", user=buyer),
            400,
            "invalid",
            "bad status filter",
        )
        resp = self.expect(self.request("GET", "orders/", user=stranger), 200)
        self.check(resp["count"] == 0, "stranger sees no orders", resp)

        # Cancel.
        self.expect(
            self.request("POST", f"orders/{self.confirmed}/cancel/", user=stranger),
            404,
            "not_found",
            "cancel another's order",
        )
        before = self.product_stock(p["id"])
        resp = self.expect(
            self.request("POST", f"orders/{self.confirmed}/cancel/", user=buyer),
            200,
            label="buyer cancels confirmed order",
        )
        self.order_shape(resp.json, "cancelled order")
        self.check(resp["status"] == "cancelled", "cancelled", resp)
        self.check(self.product_stock(p["id"]) == before + 2, "cancel restores stock")
        pay = resp["payments"][0]
        self.check(
            pay["status"] == "refunded" and pay["refunded"] == pay["captured"],
            "cancelling a paid order refunds it",
            resp,
        )
        self.expect(
            self.request("POST", f"orders/{self.confirmed}/cancel/", user=buyer),
            409,
            "transition_not_allowed",
            "cancel twice",
        )
        self.check(self.product_stock(p["id"]) == before + 2, "second cancel restores nothing")
        self.expect(
            self.request("POST", f"orders/{self.confirmed}/refund/", user=self.staff),
            409,
            "refund_exceeds_captured",
            "refund a fully refunded order",
        )

        # Refund.
        number = self.paid_after_error
        self.expect(
            self.request(
                "POST", f"orders/{number}/refund/", {"amount": self.money("1.00")}, user=buyer
            ),
            403,
            "permission_denied",
            "buyer cannot refund",
        )
        self.expect(
            self.request(
                "POST", f"orders/{number}/refund/", {"amount": self.money("1.00")}, user=stranger
            ),
            404,
            "not_found",
            "stranger refund",
        )
        self.expect(
            self.request(
                "POST",
                f"orders/{number}/refund/",
                {"amount": {"amount": "-1.00", "currency": "AOA"}},
                user=self.staff,
            ),
            400,
            "invalid",
            "negative refund",
        )
        self.expect(
            self.request(
                "POST",
                f"orders/{number}/refund/",
                {"amount": {"amount": "0.00", "currency": "AOA"}},
                user=self.staff,
            ),
            400,
            "invalid",
            "zero refund",
        )
        resp = self.request(
            "POST",
            f"orders/{number}/refund/",
            {"amount": self.money("1.00", "USD")},
            user=self.staff,
        )
        self.check(
            resp.status in (400, 409) and resp["code"] in ("invalid", "currency_mismatch"),
            "refund in another currency refused",
            resp,
        )
        resp = self.request(
            "POST", f"orders/{number}/refund/", {"amount": self.money("1000.00")}, user=self.staff
        )
        self.check(resp.status == 200, "partial refund 200", resp)
        got = self.order(number, self.staff)
        pay = next(x for x in got["payments"] if x["status"] != "failed")
        self.check(
            pay["refunded"] == self.money("1000.00") and pay["status"] == "partially_refunded",
            "partial refund recorded",
            resp,
        )
        self.order_shape(got, "order refunded in part")
        self.check(
            [(r["amount"], r["state"], r["reason"]) for r in pay["refunds"]]
            == [(self.money("1000.00"), "succeeded", "staff")]
            and bool(pay["refunds"][0]["idempotency_key"])
            and bool(pay["refunds"][0]["reference"]),
            "the staff refund is listed with the kit's key and the provider's reference",
        )
        self.check(
            got["status"] == "confirmed"
            and got["due"] == self.money("1500.00")
            and got["held"] == self.money("1500.00")
            and got["refunded"] == self.money("1000.00"),
            f"a staff refund lowers what is owed; the order stays {got['status']}",
        )
        resp = self.expect(
            self.request(
                "POST",
                f"orders/{number}/refund/",
                {"amount": self.money("1500.01")},
                user=self.staff,
            ),
            409,
            "refund_exceeds_captured",
            "refund over the rest",
        )
        if resp.status == 409:
            self.check(
                resp["refundable"] == self.money("1500.00"),
                "refund_exceeds_captured says what is refundable",
                resp,
            )
        resp = self.request(
            "POST", f"orders/{number}/refund/", {"amount": self.money("1500.00")}, user=self.staff
        )
        self.check(resp.status == 200, "refund the rest", resp)
        pay = next(x for x in self.order(number, self.staff)["payments"] if x["status"] != "failed")
        self.check(
            pay["refunded"] == self.money("2500.00") and pay["status"] == "refunded",
            "refunds add up",
            resp,
        )
        got = self.order(number, self.staff)
        self.order_shape(got, "order refunded in full by staff")
        self.check(
            got["status"] != "on_hold" and got["due"] == self.money("0"),
            f"an order refunded in full by staff owes nothing and is not on hold ({got['status']})",
        )
        self.expect(
            self.request(
                "POST", f"orders/{number}/refund/", {"amount": self.money("0.01")}, user=self.staff
            ),
            409,
            "refund_exceeds_captured",
            "refund beyond captured",
        )

    def fulfilment_and_reviews(self) -> None:
        buyer, p = self.register("reviewer"), self.p_review
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)
        self.expect(
            self.request("POST", "cart/items/", {"product": p["id"], "quantity": 1}, user=buyer),
            201,
        )
        self.expect(
            self.request(
                "POST", "cart/items/", {"product": self.p_other["id"], "quantity": 1}, user=buyer
            ),
            201,
        )
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body(), user=buyer),
            201,
            label="two-store checkout",
        )
        order = resp["order"]
        self.check(len(order["fulfilments"]) == 2, "one fulfilment per store", resp)
        mine = next(f for f in order["fulfilments"] if f["store"]["slug"] == self.store_slug)
        theirs = next(
            f for f in order["fulfilments"] if f["store"]["slug"] == self.other_store_slug
        )
        number = order["number"]

        review_body = {"rating": 5, "title": "Great", "body": "Works."}
        self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=buyer),
            403,
            "purchase_required",
            "review before delivery",
        )

        resp = self.expect(self.request("GET", "fulfilments/", user=self.seller), 200)
        self.check(
            any(f["id"] == mine["id"] for f in resp["results"])
            and all(f["id"] != theirs["id"] for f in resp["results"]),
            "seller lists own fulfilments only",
            resp,
        )
        resp = self.expect(
            self.request("GET", "fulfilments/?status=pending", user=self.seller), 200
        )
        self.expect(
            self.request("GET", "fulfilments/?status=bogus", user=self.seller),
            400,
            "invalid",
            "bad fulfilment status filter",
        )
        resp = self.request("GET", "fulfilments/", user=buyer)
        self.check(
            resp.status in (200, 403) and (resp.status == 403 or resp["count"] == 0),
            "a buyer sees no fulfilments",
            resp,
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/process/", user=self.seller),
            404,
            "not_found",
            "another store's fulfilment",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/process/", user=buyer),
            404,
            label="buyer cannot process",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/deliver/", user=self.seller),
            409,
            "transition_not_allowed",
            "deliver before ship",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/process/", user=self.seller), 200
        )
        self.check(
            self.order(number, buyer)["status"] == "processing",
            "order processing when any fulfilment is",
        )
        self.expect(
            self.request("POST", f"orders/{number}/cancel/", user=buyer),
            409,
            "transition_not_allowed",
            "buyer cannot cancel once processing",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/process/", user=self.seller),
            409,
            "transition_not_allowed",
            "process twice",
        )
        resp = self.expect(
            self.request(
                "POST",
                f"fulfilments/{mine['id']}/ship/",
                {"tracking_number": "TRK-1"},
                user=self.seller,
            ),
            200,
        )
        self.check(
            resp.json.get("tracking_number") == "TRK-1" or "TRK-1" in resp.text,
            "tracking number recorded",
            resp,
        )
        self.check(
            self.order(number, buyer)["status"] == "processing",
            "not shipped until all fulfilments are",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/deliver/", user=self.seller), 200
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/process/", user=self.other_seller),
            200,
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/ship/", user=self.other_seller),
            200,
            label="ship without tracking",
        )
        self.check(
            self.order(number, buyer)["status"] == "shipped",
            "order shipped when all are shipped (or delivered)",
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/deliver/", user=self.staff),
            200,
            label="staff delivers",
        )
        got = self.order(number, buyer)
        self.check(got["status"] == "delivered", "order delivered when all fulfilments are")
        self.check(
            all(f["status"] == "delivered" for f in got["fulfilments"]), "fulfilments delivered"
        )
        self.expect(
            self.request("POST", f"orders/{number}/cancel/", user=self.staff),
            409,
            "transition_not_allowed",
            "cancel a delivered order",
        )

        # Reviews.
        for bad in (0, 6, "x", None, 4.5):
            self.expect(
                self.request(
                    "POST",
                    f"products/{p['id']}/reviews/",
                    {**review_body, "rating": bad},
                    user=buyer,
                ),
                400,
                "invalid",
                f"rating {bad!r}",
            )
        self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body),
            401,
            "not_authenticated",
            "review anonymous",
        )
        resp = self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=buyer),
            201,
            label="review after delivery",
        )
        review = resp.json
        self.check(
            set(review)
            == {
                "id",
                "product",
                "user",
                "rating",
                "title",
                "body",
                "verified_purchase",
                "created_at",
                "updated_at",
            },
            "review keys",
            resp,
        )
        self.check(
            review["user"] == {"id": review["user"]["id"], "username": buyer.username}
            and review["verified_purchase"] is True
            and review["product"] == p["id"],
            "review fields",
            resp,
        )
        resp = self.expect(self.request("GET", f"products/{p['id']}/"), 200)
        self.check(
            resp["rating"] == {"average": "5.00", "count": 1}, "rating follows at once", resp
        )
        self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=buyer),
            409,
            "already_reviewed",
        )
        self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=self.stranger),
            403,
            "purchase_required",
            "review without purchase",
        )
        self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=self.seller),
            403,
            "own_product",
            "seller reviews own product",
        )
        self.expect(
            self.request("POST", "products/999999999/reviews/", review_body, user=buyer),
            404,
            "not_found",
            "review unknown product",
        )
        resp = self.expect(self.request("GET", f"products/{p['id']}/reviews/"), 200)
        self.check(
            resp["count"] == 1 and resp["results"][0]["id"] == review["id"], "reviews list", resp
        )
        self.expect(self.request("GET", f"products/{p['id']}/reviews/?ordering=-rating"), 200)
        self.expect(
            self.request("GET", f"products/{p['id']}/reviews/?ordering=bogus"),
            400,
            "invalid",
            "bad review ordering",
        )
        resp = self.expect(
            self.request("PATCH", f"reviews/{review['id']}/", {"rating": 3}, user=buyer), 200
        )
        self.check(resp["rating"] == 3, "PATCH review", resp)
        resp = self.expect(self.request("GET", f"products/{p['id']}/rating/"), 200)
        self.check(
            resp["average"] == "3.00"
            and resp["count"] == 1
            and resp["distribution"]["3"] == 1
            and resp["distribution"]["5"] == 0,
            "rating after PATCH",
            resp,
        )
        self.expect(
            self.request("PATCH", f"reviews/{review['id']}/", {"rating": 9}, user=buyer),
            400,
            "invalid",
            "PATCH rating 9",
        )
        resp = self.request("PATCH", f"reviews/{review['id']}/", {"rating": 1}, user=self.stranger)
        self.check(resp.status in (403, 404), "PATCH someone else's review refused", resp)
        resp = self.request("DELETE", f"reviews/{review['id']}/", user=self.stranger)
        self.check(resp.status in (403, 404), "DELETE someone else's review refused", resp)
        resp = self.request("DELETE", f"reviews/{review['id']}/", user=buyer)
        self.check(resp.status == 204, "author deletes review", resp)
        resp = self.expect(self.request("GET", f"products/{p['id']}/"), 200)
        self.check(resp["rating"] == {"average": None, "count": 0}, "rating after delete", resp)
        resp = self.expect(
            self.request("POST", f"products/{p['id']}/reviews/", review_body, user=buyer),
            201,
            label="review again after delete",
        )
        resp2 = self.request("DELETE", f"reviews/{resp['id']}/", user=self.staff)
        self.check(resp2.status == 204, "staff deletes a review", resp2)

        # Wishlist.
        self.expect(
            self.request("GET", "wishlist/"), 401, "not_authenticated", "wishlist anonymous"
        )
        resp = self.expect(
            self.request("POST", "wishlist/", {"product": p["id"]}, user=buyer),
            201,
            label="wishlist add",
        )
        resp = self.expect(
            self.request("POST", "wishlist/", {"product": p["id"]}, user=buyer),
            200,
            label="wishlist add twice",
        )
        resp = self.request("POST", "wishlist/", {"product": 999999999}, user=buyer)
        self.check(resp.status in (400, 404), "wishlist unknown product 400/404", resp)
        resp = self.request(
            "POST", "wishlist/", {"product": self.deleted_product["id"]}, user=buyer
        )
        self.check(resp.status in (400, 404), "wishlist deleted product 400/404", resp)
        self.expect(
            self.request("POST", "wishlist/", {}, user=buyer),
            400,
            "invalid",
            "wishlist without product",
        )
        resp = self.expect(self.request("GET", "wishlist/", user=buyer), 200)
        entries = resp.json if isinstance(resp.json, list) else resp["results"]
        self.check(
            len(entries) == 1 and set(entries[0]) == {"product", "added_at"},
            "wishlist entries",
            resp,
        )
        self.check_product_shape(entries[0]["product"], "wishlist product")
        resp = self.expect(self.request("GET", "wishlist/", user=self.stranger), 200)
        self.check(
            (resp.json if isinstance(resp.json, list) else resp["results"]) == [],
            "another user's wishlist is separate",
            resp,
        )
        resp = self.request("DELETE", f"wishlist/{p['id']}/", user=buyer)
        self.check(resp.status == 204, "wishlist delete 204", resp)
        resp = self.request("DELETE", f"wishlist/{p['id']}/", user=buyer)
        self.check(resp.status in (204, 404), "wishlist delete twice 204/404", resp)

    # --- money: the ledger's guarantees --------------------------------------------------------

    def live_payment(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order's payment that did not fail (the last one when all did)."""
        pays = order.get("payments") or [{}]
        return next((x for x in reversed(pays) if x.get("status") != "failed"), pays[-1])

    def share(self, order: dict[str, Any], lines: Iterable[dict[str, Any]]) -> Decimal:
        """The share of cancelled lines (docs/checkout.md): their value, plus the order's shipping
        and tax in proportion, each rounded half up to the minor unit."""
        value = sum((self.amount(i["line_total"]) for i in lines), Decimal(0))
        subtotal = self.amount(order["subtotal"])
        cent = Decimal("0.01")
        return (
            value
            + (self.amount(order["shipping"]) * value / subtotal).quantize(cent, "ROUND_HALF_UP")
            + (self.amount(order["tax"]) * value / subtotal).quantize(cent, "ROUND_HALF_UP")
        )

    def money_flows(self) -> None:
        """Held money, deferred events, refunds under way and cancels of unshipped parts."""
        p, staff = self.p_money, self.staff
        buyer = self.register("money")

        # A refund reported before its capture is kept and applied once the capture is booked.
        self.fill_cart(buyer, p, 1)
        stock = self.product_stock(p["id"])
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
            201,
            label="checkout tok_pending (deferred refund)",
        )
        order, payment = resp["order"], resp["payment"]
        number = order["number"]
        refund_event = {
            "event_id": f"evt-{self.suffix}-early-refund",
            "payment_id": payment["id"],
            "type": "payment.refunded",
            "amount": self.money("100.00"),
        }
        resp = self.expect(self.webhook(refund_event), 200, label="refund before its capture")
        self.check(
            str(resp["result"]).startswith("deferred"),
            "a refund before its capture is deferred",
            resp,
        )
        got = self.order(number, buyer)
        self.order_shape(got, "order with a deferred refund")
        pay = got["payments"][0]
        self.check(
            pay["status"] == "pending"
            and pay["refunded"] == self.money("0")
            and pay["refunds"] == []
            and got["status"] == "pending",
            "a deferred refund changes nothing yet",
        )
        resp = self.expect(self.webhook(refund_event), 200, label="deferred refund redelivered")
        self.check(
            resp["result"] == "duplicate", "a redelivered deferred event is a duplicate", resp
        )
        capture = {
            "event_id": f"evt-{self.suffix}-late-capture",
            "payment_id": payment["id"],
            "type": "payment.captured",
        }
        resp = self.expect(self.webhook(capture), 200, label="capture after its refund")
        got = self.order(number, buyer)
        self.order_shape(got, "order after the deferred refund applied")
        pay = got["payments"][0]
        self.check(
            pay["captured"] == self.money("1000.00")
            and pay["refunded"] == self.money("100.00")
            and pay["status"] == "partially_refunded"
            and [(r["amount"], r["state"], r["reason"]) for r in pay["refunds"]]
            == [(self.money("100.00"), "succeeded", "provider")],
            f"the deferred refund is applied once the capture is booked ({pay['status']}, "
            f"refunded {pay['refunded']})",
        )
        self.check(
            got["status"] == "on_hold"
            and got["held"] == self.money("900.00")
            and got["due"] == self.money("1000.00"),
            f"a refund made at the provider does not lower what is owed: on hold ({got['status']})",
        )
        resp = self.request(
            "POST", f"fulfilments/{order['fulfilments'][0]['id']}/process/", user=self.seller
        )
        self.expect(resp, 409, "payment_missing", "process an order held short by a chargeback")
        resp = self.expect(
            self.request("POST", f"orders/{number}/cancel/", user=buyer),
            200,
            label="buyer cancels an order on hold",
        )
        if resp.status == 200:
            self.order_shape(resp.json, "cancelled order on hold")
            pay = resp["payments"][0]
            self.check(
                resp["status"] == "cancelled"
                and pay["refunded"] == self.money("1000.00")
                and pay["status"] == "refunded"
                and resp["held"] == self.money("0"),
                "cancelling gives back what was still held (900.00)",
                resp,
            )
        self.check(self.product_stock(p["id"]) == stock, "the cancelled order's stock is back")

        # A refund whose gateway call times out stays reserved; the provider's echo settles it.
        self.fill_cart(buyer, p, 1)
        resp = self.expect(
            self.request(
                "POST",
                "checkout/",
                self.checkout_body(
                    payment_data={"token": "tok_success", "timeout_once": ["refund"]}
                ),
                user=buyer,
            ),
            201,
            label="checkout with timeout_once refund",
        )
        order, payment = resp["order"], resp["payment"]
        number = self.timeout_order = order["number"]
        self.check(
            order["status"] == "confirmed" and payment["status"] == "captured",
            "timeout_once does not affect the payment itself",
            resp,
        )
        resp = self.request(
            "POST", f"orders/{number}/refund/", {"amount": self.money("300.00")}, user=staff
        )
        self.expect(resp, 502, "gateway_error", "a refund whose gateway call times out")
        got = self.order(number, staff)
        self.order_shape(got, "order with a refund under way")
        pay = got["payments"][0]
        refunds = pay["refunds"]
        self.check(
            pay["refund_pending"] == self.money("300.00")
            and pay["refunded"] == self.money("0")
            and pay["captured"] == self.money("1000.00")
            and pay["status"] == "captured",
            f"the timed-out refund stays reserved (refund_pending {pay['refund_pending']}, "
            f"refunded {pay['refunded']})",
        )
        self.check(
            len(refunds) == 1
            and refunds[0]["amount"] == self.money("300.00")
            and refunds[0]["state"] in ("unknown", "requested")
            and refunds[0]["reason"] == "staff"
            and bool(refunds[0]["idempotency_key"]),
            f"the refund is listed, open, with the kit's key {refunds}",
        )
        self.check(
            got["status"] == "confirmed"
            and got["held"] == self.money("700.00")
            and got["due"] == self.money("700.00"),
            f"a staff refund under way lowers what is owed, the order stays {got['status']}",
        )
        resp = self.request(
            "POST", f"orders/{number}/refund/", {"amount": self.money("700.01")}, user=staff
        )
        self.expect(resp, 409, "refund_exceeds_captured", "refund more than the rest (one open)")
        if resp.status == 409:
            self.check(
                resp["refundable"] == self.money("700.00"),
                "refundable leaves out the refund under way",
                resp,
            )
        key = refunds[0]["idempotency_key"] if refunds else None
        if isinstance(key, str) and key:
            reference = f"dummy_refund_{key}"
            echo = {
                "payment_id": payment["id"],
                "type": "payment.refunded",
                "amount": self.money("300.00"),
            }
            by_reference = {
                **echo,
                "event_id": f"evt-{self.suffix}-ref-only",
                "reference": reference,
            }
            resp = self.expect(
                self.webhook(by_reference), 200, label="echo by reference while unanswered"
            )
            self.check(
                str(resp["result"]).startswith("deferred"),
                "an echo naming only the provider's reference waits for the kit's refund",
                resp,
            )
            pay = self.order(number, staff)["payments"][0]
            self.check(
                pay["refunded"] == self.money("0")
                and pay["refund_pending"] == self.money("300.00"),
                "the deferred echo changed nothing",
            )
            resp = self.expect(
                self.webhook(
                    {
                        **echo,
                        "event_id": f"evt-{self.suffix}-key-echo",
                        "idempotency_key": key,
                        "reference": reference,
                    }
                ),
                200,
                label="echo naming the kit's key",
            )
            self.check("settled" in str(resp["result"]), "the echo settles the refund", resp)
            got = self.order(number, staff)
            self.order_shape(got, "order after the refund settled")
            pay = got["payments"][0]
            self.check(
                pay["refunded"] == self.money("300.00")
                and pay["refund_pending"] == self.money("0")
                and pay["status"] == "partially_refunded"
                and [(r["amount"], r["state"], r["reference"]) for r in pay["refunds"]]
                == [(self.money("300.00"), "succeeded", reference)],
                f"the refund is booked once, with the provider's reference {pay['refunds']}",
            )
            self.check(
                got["status"] == "confirmed" and got["held"] == self.money("700.00"),
                "the order still holds 700.00",
            )
            for label, event in (
                ("by key", {**echo, "event_id": f"evt-{self.suffix}-key2", "idempotency_key": key}),
                (
                    "by reference",
                    {**echo, "event_id": f"evt-{self.suffix}-ref2", "reference": reference},
                ),
                ("the deferred one again", by_reference),
            ):
                resp = self.expect(self.webhook(event), 200, label=f"another echo {label}")
                self.check(
                    str(resp["result"]).startswith("duplicate"),
                    f"another echo {label} is a duplicate",
                    resp,
                )
            pay = self.order(number, staff)["payments"][0]
            self.check(
                pay["refunded"] == self.money("300.00") and len(pay["refunds"]) == 1,
                f"echoes never book the refund twice (refunded {pay['refunded']})",
            )
            resp = self.request(
                "POST", f"orders/{number}/refund/", {"amount": self.money("700.01")}, user=staff
            )
            self.expect(resp, 409, "refund_exceeds_captured", "refund more than the rest")
            if resp.status == 409:
                self.check(resp["refundable"] == self.money("700.00"), "700.00 refundable", resp)

        self.split_order_staff_cancel()
        self.split_order_seller_cancels()
        self.cancel_refund_above_refundable()
        self.view_only_staff()

    def split_order_staff_cancel(self) -> None:
        """Staff cancel a two-store order after one store shipped: only the rest is cancelled."""
        buyer, a, b = self.register("split"), self.p_split_a, self.p_split_b
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)
        for product, quantity in ((a, 2), (b, 3)):
            self.expect(
                self.request(
                    "POST",
                    "cart/items/",
                    {"product": product["id"], "quantity": quantity},
                    user=buyer,
                ),
                201,
                label="fill a two-store cart",
            )
        stock_a, stock_b = self.product_stock(a["id"]), self.product_stock(b["id"])
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body(), user=buyer),
            201,
            label="two-store checkout (staff cancel)",
        )
        order = resp["order"]
        number = order["number"]
        self.check(order["status"] == "confirmed", "two-store order confirmed", resp)
        self.check(
            (self.product_stock(a["id"]), self.product_stock(b["id"]))
            == (stock_a - 2, stock_b - 3),
            "both stores' stock reserved",
        )
        mine = next(f for f in order["fulfilments"] if f["store"]["id"] == self.store_id)
        theirs = next(f for f in order["fulfilments"] if f["store"]["id"] == self.other_store_id)
        lines_b = [i for i in order["items"] if i["store"] == self.other_store_id]
        total = self.amount(order["total"])
        share = self.share(order, lines_b)
        for user, store, subtotal, other_ful in (
            (self.seller, self.store_id, "2469.00", theirs["id"]),
            (self.other_seller, self.other_store_id, "2295.75", mine["id"]),
        ):
            view = self.expect(
                self.request("GET", f"orders/{number}/", user=user), 200, label="seller reads"
            ).json
            self.seller_view_shape(view, store, f"seller's view of store {store}", lines=1)
            self.check(
                view.get("subtotal") == self.money(subtotal),
                f"the seller's subtotal is their lines ({view.get('subtotal')})",
            )
            self.check(
                all(f.get("id") != other_ful for f in view.get("fulfilments") or []),
                "no other store's fulfilment in the seller's view",
            )
            self.expect(
                self.request("GET", f"orders/{number}/payments/", user=user),
                404,
                "not_found",
                "a seller may not list the payments",
            )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/process/", user=self.seller), 200
        )
        self.expect(self.request("POST", f"fulfilments/{mine['id']}/ship/", user=self.seller), 200)
        self.check(
            self.order(number, buyer)["status"] == "processing",
            "processing while one store shipped and the other did not",
        )
        resp = self.expect(
            self.request(
                "POST", f"orders/{number}/cancel/", {"reason": "smoke: partial"}, user=self.staff
            ),
            200,
            label="staff cancel after one store shipped",
        )
        if resp.status == 200:
            self.order_shape(resp.json, "order cancelled in part")
        got = self.order(number, buyer)
        self.order_shape(got, "order cancelled in part (buyer)")
        statuses = {f["store"]["id"]: f["status"] for f in got["fulfilments"]}
        self.check(
            statuses == {self.store_id: "shipped", self.other_store_id: "cancelled"},
            f"only the unshipped part is cancelled {statuses}",
        )
        self.check(
            got["status"] == "shipped",
            f"the order goes on with its shipped part ({got['status']})",
        )
        self.check(
            (self.product_stock(a["id"]), self.product_stock(b["id"])) == (stock_a - 2, stock_b),
            "stock comes back for the cancelled lines only",
        )
        pay = self.live_payment(got)
        self.check(
            [(r["amount"], r["state"], r["reason"]) for r in pay.get("refunds", [])]
            == [(self.money(share), "succeeded", "cancellation")]
            and pay.get("refunded") == self.money(share)
            and pay.get("status") == "partially_refunded",
            f"the cancelled part is refunded at its share {share} ({pay.get('refunds')})",
        )
        self.check(
            got["due"] == self.money(total - share)
            and got["held"] == self.money(total - share)
            and got["charged"] == self.money(total)
            and got["refunded"] == self.money(share),
            f"the order is owed and holds its shipped part {total - share} "
            f"(due {got['due']}, held {got['held']})",
        )
        for user, store, status in (
            (self.seller, self.store_id, "shipped"),
            (self.other_seller, self.other_store_id, "cancelled"),
        ):
            view = self.expect(
                self.request("GET", f"orders/{number}/", user=user), 200, label="seller reads"
            ).json
            self.seller_view_shape(
                view, store, f"seller's view after the cancel ({store})", lines=1
            )
            self.check(
                [f["status"] for f in view.get("fulfilments") or []] == [status],
                f"the seller sees their fulfilment {status}",
            )
        resp = self.request("POST", f"orders/{number}/cancel/", user=self.staff)
        self.expect(resp, 409, "transition_not_allowed", "cancel the shipped rest")
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/process/", user=self.other_seller),
            409,
            "transition_not_allowed",
            "process a cancelled fulfilment",
        )
        self.check(
            (self.product_stock(a["id"]), self.product_stock(b["id"])) == (stock_a - 2, stock_b),
            "nothing restocked twice",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/deliver/", user=self.seller), 200
        )
        got = self.order(number, buyer)
        self.check(got["status"] == "delivered", f"the shipped part is delivered ({got['status']})")
        self.check(
            self.live_payment(got).get("refunded") == self.money(share),
            "delivery moved no money",
        )

    def split_order_seller_cancels(self) -> None:
        """Each store cancels its own part: the first is refunded at its share, the last cancels
        the order and gives back everything."""
        buyer, a, b = self.register("split2"), self.p_split_a, self.p_split_b
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)
        for product in (a, b):
            self.expect(
                self.request(
                    "POST", "cart/items/", {"product": product["id"], "quantity": 1}, user=buyer
                ),
                201,
                label="fill a two-store cart",
            )
        stock_a, stock_b = self.product_stock(a["id"]), self.product_stock(b["id"])
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body(), user=buyer),
            201,
            label="two-store checkout (seller cancels)",
        )
        order = resp["order"]
        number = order["number"]
        mine = next(f for f in order["fulfilments"] if f["store"]["id"] == self.store_id)
        theirs = next(f for f in order["fulfilments"] if f["store"]["id"] == self.other_store_id)
        total = self.amount(order["total"])
        share = self.share(order, [i for i in order["items"] if i["store"] == self.other_store_id])
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/cancel/", user=self.seller),
            404,
            "not_found",
            "cancel another store's fulfilment",
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/cancel/", user=buyer),
            404,
            "not_found",
            "buyer cancels a fulfilment",
        )
        resp = self.expect(
            self.request(
                "POST",
                f"fulfilments/{theirs['id']}/cancel/",
                {"reason": "smoke: out of stock"},
                user=self.other_seller,
            ),
            200,
            label="a store cancels its part",
        )
        got = self.order(number, buyer)
        self.order_shape(got, "order with one part cancelled")
        pay = self.live_payment(got)
        self.check(
            got["status"] == "confirmed"
            and got["due"] == self.money(total - share)
            and got["held"] == self.money(total - share)
            and pay.get("refunded") == self.money(share)
            and [r["reason"] for r in pay.get("refunds", [])] == ["cancellation"],
            f"the part is refunded at its share {share}; the rest stays paid ({got['status']}, "
            f"due {got['due']}, refunded {pay.get('refunded')})",
        )
        self.check(
            (self.product_stock(a["id"]), self.product_stock(b["id"])) == (stock_a - 1, stock_b),
            "only the cancelled part is restocked",
        )
        self.expect(
            self.request("POST", f"fulfilments/{theirs['id']}/cancel/", user=self.other_seller),
            409,
            "transition_not_allowed",
            "cancel a part twice",
        )
        self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/process/", user=self.seller),
            200,
            label="the other store goes on",
        )
        resp = self.expect(
            self.request("POST", f"fulfilments/{mine['id']}/cancel/", user=self.seller),
            200,
            label="the last part cancelled",
        )
        got = self.order(number, buyer)
        self.order_shape(got, "order whose parts were all cancelled")
        pay = self.live_payment(got)
        self.check(
            got["status"] == "cancelled"
            and pay.get("refunded") == self.money(total)
            and pay.get("status") == "refunded"
            and got["held"] == self.money("0"),
            f"the last part cancels the order and everything is given back ({got['status']}, "
            f"refunded {pay.get('refunded')} of {total})",
        )
        self.check(
            (self.product_stock(a["id"]), self.product_stock(b["id"])) == (stock_a, stock_b),
            "all the stock is back, once",
        )

    def cancel_refund_above_refundable(self) -> None:
        """A ``refund`` chosen by staff for cancelled goods is a refund like any other: more than
        is refundable is 409 refund_exceeds_captured, and nothing is cancelled."""
        buyer, a, b = self.register("split3"), self.p_split_a, self.p_split_b
        self.expect(self.request("DELETE", "cart/", user=buyer), 204)
        for product in (a, b):
            self.expect(
                self.request(
                    "POST", "cart/items/", {"product": product["id"], "quantity": 1}, user=buyer
                ),
                201,
                label="fill a two-store cart",
            )
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body(), user=buyer),
            201,
            label="two-store checkout (refund above refundable)",
        )
        order = resp["order"]
        number = order["number"]
        theirs = next(f for f in order["fulfilments"] if f["store"]["id"] == self.other_store_id)
        stock_b = self.product_stock(b["id"])
        too_much = self.money(self.amount(order["total"]) + Decimal("0.01"))
        resp = self.request(
            "POST",
            f"fulfilments/{theirs['id']}/cancel/",
            {"refund": too_much},
            user=self.staff,
        )
        self.expect(
            resp,
            409,
            "refund_exceeds_captured",
            f"staff cancel a part with a refund of {too_much['amount']} "
            f"(total {order['total']['amount']})",
        )
        if resp.status == 409:
            self.check(resp["refundable"] == order["total"], "refundable is the total", resp)
        got = self.order(number, buyer)
        pay = self.live_payment(got)
        self.check(
            got["status"] == "confirmed"
            and [f["status"] for f in got["fulfilments"]] == ["pending", "pending"]
            and pay.get("refunded") == self.money("0")
            and pay.get("refund_pending") == self.money("0")
            and self.product_stock(b["id"]) == stock_b,
            f"a refused refund cancels and refunds nothing (order {got['status']}, fulfilments "
            f"{[f['status'] for f in got['fulfilments']]}, refunded {pay.get('refunded')})",
        )

    def view_only_staff(self) -> None:
        """Staff with view permissions only see orders whole but may not act on them."""
        username = os.environ.get("SMOKE_VIEWER_USERNAME")
        password = os.environ.get("SMOKE_VIEWER_PASSWORD")
        if not username or not password:
            self.notes.append(
                "staff with view permissions only: not checked (set SMOKE_VIEWER_USERNAME / "
                "SMOKE_VIEWER_PASSWORD to a staff user holding view_order, view_fulfilment and "
                "view_payment only)"
            )
            return
        viewer = self.login(username, password)
        number = self.timeout_order
        before = self.order(number, self.staff)
        resp = self.expect(
            self.request("GET", f"orders/{number}/", user=viewer), 200, label="viewer reads"
        )
        self.order_shape(resp.json, "view-only staff's view")
        self.check(
            resp["available_transitions"] == []
            and all(f["available_transitions"] == [] for f in resp["fulfilments"]),
            "view-only staff are offered no action",
            resp,
        )
        self.check(resp["payments"] == before["payments"], "view_payment shows the payments", resp)
        self.expect(
            self.request("GET", f"orders/{number}/payments/", user=viewer),
            200,
            label="viewer lists payments",
        )
        ful = before["fulfilments"][0]["id"]
        for path, body in (
            (f"orders/{number}/refund/", {"amount": self.money("1.00")}),
            (f"orders/{number}/cancel/", {}),
            (f"fulfilments/{ful}/process/", {}),
            (f"fulfilments/{ful}/cancel/", {}),
        ):
            self.expect(
                self.request("POST", path, body, user=viewer),
                403,
                "permission_denied",
                f"view-only staff POST {path.split('/', 2)[-1]}",
            )
        after = self.order(number, self.staff)
        self.check(
            after["status"] == before["status"] and after["payments"] == before["payments"],
            "view-only staff changed nothing",
        )

    def robustness(self) -> None:
        """Hostile but plausible input: never a 5xx, always the contract's error shape."""
        user, seller = self.register("robust"), self.seller
        huge = 10**20
        for path in (
            f"products/{huge}/",
            f"categories/{huge}/",
            f"products/{huge}/rating/",
            f"products/{huge}/reviews/",
            f"reviews/{huge}/",
        ):
            self.expect(self.request("GET", path), 404, "not_found", f"GET {path[:30]}")
        for path in ("orders/EK%00-0000/", "orders/EK%00-0000/payments/"):
            self.expect(self.request("GET", path, user=user), 404, "not_found", f"GET {path} (NUL)")
        for action in ("cancel", "pay", "refund"):
            self.expect(
                self.request("POST", f"orders/EK%00-0000/{action}/", {}, user=self.staff),
                404,
                "not_found",
                f"{action} with NUL in the number",
            )
        self.expect(
            self.request("POST", f"fulfilments/{huge}/process/", user=seller),
            404,
            "not_found",
            "process unknown fulfilment",
        )
        self.expect(
            self.request("PATCH", f"cart/items/{huge}/", {"quantity": 1}, user=user),
            404,
            label="PATCH huge cart item",
        )
        self.expect(
            self.request("DELETE", f"wishlist/{huge}/", user=user),
            404,
            label="DELETE huge wishlist entry",
        )
        self.expect(
            self.request("POST", "cart/items/", {"product": huge, "quantity": 1}, user=user),
            400,
            "product_unavailable",
            "add a huge product id",
        )
        for path, body_user in (
            ("stores/", user),
            ("cart/items/", user),
            ("cart/merge/", user),
            ("checkout/", user),
            ("wishlist/", user),
            (f"products/{self.p_cart['id']}/reviews/", user),
            ("auth/register/", None),
            ("auth/token/", None),
        ):
            for body in ([1], "text", 5):
                resp = self.request("POST", path, body, user=body_user)
                self.check(
                    400 <= resp.status < 500,
                    f"POST {path} with a {type(body).__name__} body is a 4xx",
                    resp,
                )
        nul = "\u0000"
        for attributes in ({"size": "M" + nul}, {"si" + nul: "M"}):
            body = {
                "name": f"Nul {self.suffix}",
                "price": self.money("5"),
                "category": self.category_id,
                "attributes": attributes,
            }
            self.expect(
                self.request("POST", "products/", body, user=seller),
                400,
                "invalid",
                "attributes with a NUL character",
            )
        self.expect(
            self.request(
                "PATCH", f"products/{self.lamp['id']}/", {"attributes": {"a": nul}}, user=seller
            ),
            400,
            "invalid",
            "PATCH attributes with a NUL character",
        )
        for field, value in (("name", "a" + nul), ("description", nul)):
            self.expect(
                self.request("POST", "stores/", {"name": "x", field: value}, user=user),
                400,
                "invalid",
                f"store {field} with a NUL character",
            )
        self.fill_cart(user, self.p_checkout, 1)
        stock = self.product_stock(self.p_checkout["id"])
        for label, body in (
            ("payment_data", self.checkout_body(payment_data={"token": "tok_success", "x": nul})),
            ("payment_data key", self.checkout_body(payment_data={"tok" + nul: "tok_success"})),
            ("address", self.checkout_body(shipping_address={**ADDRESS, "line1": nul})),
            ("payment_method", self.checkout_body(payment_method="dummy" + nul)),
        ):
            self.expect(
                self.request(
                    "POST",
                    "checkout/",
                    body,
                    user=user,
                    headers={"Idempotency-Key": f"nul-{label}-{self.suffix}"},
                ),
                400,
                "invalid",
                f"checkout with a NUL character in {label}",
            )
        self.check(
            self.product_stock(self.p_checkout["id"]) == stock, "refused checkouts reserved nothing"
        )
        for change in (
            {"event_id": "e" + nul},
            {"type": "payment.captured" + nul},
            {"extra": [nul]},
        ):
            event = {
                "event_id": f"e-nul-{self.suffix}",
                "payment_id": 1,
                "type": "payment.captured",
                "amount": self.money("1.00"),
                **change,
            }
            self.expect(
                self.webhook(event),
                400,
                "invalid",
                f"signed webhook with a NUL character in {list(change)[0]}",
            )
        for header in ({"Idempotency-Key": ""}, {"Idempotency-Key": "é" * 300}):
            resp = self.request(
                "POST", "checkout/", self.checkout_body(), user=user, headers=header
            )
            self.check(
                resp.status == 400,
                f"bad Idempotency-Key {header['Idempotency-Key'][:5]!r} is 400",
                resp,
            )
        self.expect(self.request("DELETE", "cart/", user=user), 204)
        self.expect(self.request("PUT", "products/1/", {}, user=user), 405, "method_not_allowed")
        resp = self.request(
            "POST",
            "cart/items/",
            raw=b"product=1",
            user=user,
            headers={"Content-Type": "text/plain"},
        )
        self.expect(resp, 415, "unsupported_media_type")
        resp = self.request(
            "GET",
            "cart/",
            cart="nope-" + secrets.token_urlsafe(16),
            headers={"Accept-Language": "pt"},
        )
        self.check(
            resp.status == 404 and resp["error"] == "Carrinho não encontrado.",
            "errors follow Accept-Language (pt)",
            resp,
        )
        resp = self.request("GET", "products/?in_stock=maybe", headers={"Accept-Language": "pt"})
        self.check(
            resp.status == 400
            and resp["error"] != "Invalid input."
            and "Must be" not in json.dumps(resp["fields"]),
            "filter errors are translated (pt)",
            resp,
        )
        deep = b'{"product": 1, "quantity": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        for path in ("cart/items/", "checkout/", "auth/register/"):
            resp = self.request("POST", path, raw=deep, user=None if "auth" in path else user)
            self.expect(resp, 400, "parse_error", f"JSON nested too deeply to {path}")
        raw = b'{"event_id": "e", "amount": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
        resp = self.request(
            "POST",
            "payments/webhooks/dummy/",
            raw=raw,
            headers={"X-Dummy-Signature": self.sign(raw)},
        )
        self.expect(resp, 400, "invalid", "signed webhook nested too deeply")
        big = json.dumps({"product": 1, "quantity": 1, "pad": "x" * 3_000_000}).encode()
        resp = self.request("POST", "cart/items/", raw=big, user=user)
        self.expect(resp, 413, "request_too_large", "a body over the upload limit")

    def throttles(self) -> None:
        """Anonymous limits count the client's address, not a header the client writes."""
        statuses: Counter[int] = Counter()
        throttled = None
        for _ in range(2000):
            forwarded = f"203.0.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
            resp = self.request(
                "POST", "cart/", headers={"X-Forwarded-For": forwarded}, retry_throttled=False
            )
            statuses[resp.status] += 1
            if resp.status == 429:
                throttled = resp
                break
        self.race_throttle = (
            f"anonymous cart creations with a new X-Forwarded-For each: {dict(statuses)}"
        )
        print("   " + self.race_throttle)
        self.check(
            throttled is not None, "a new X-Forwarded-For per request does not escape the limit"
        )
        if throttled is not None:
            self.expect(throttled, 429, "throttled", "over the anonymous cart limit")
            retry_after = int(throttled.headers.get("Retry-After") or 0)
            self.check(retry_after > 0, "429 carries Retry-After", throttled)

    # --- races -----------------------------------------------------------------------------------

    def concurrently(self, funcs: Iterable[Callable[[], Response]]) -> list[Response]:
        funcs = list(funcs)
        barrier = threading.Barrier(len(funcs))

        def run(f: Callable[[], Response]) -> Response:
            barrier.wait()
            return f()

        with ThreadPoolExecutor(max_workers=len(funcs)) as pool:
            return list(pool.map(run, funcs))

    def races(self) -> None:
        p, units, buyers_n = self.p_race, 5, 30
        with ThreadPoolExecutor(max_workers=6) as pool:
            buyers = list(pool.map(lambda i: self.register(f"racer{i}"), range(buyers_n)))
        for b in buyers:
            self.expect(
                self.request("POST", "cart/items/", {"product": p["id"], "quantity": 1}, user=b),
                201,
                label="racer cart",
            )
        self.expect(
            self.request(
                "PATCH", f"products/{p['id']}/", {"stock_quantity": units}, user=self.seller
            ),
            200,
        )
        answers = self.concurrently(
            [
                lambda b=b: self.request("POST", "checkout/", self.checkout_body(), user=b)
                for b in buyers
            ]
        )
        counts = Counter(a.status for a in answers)
        codes = Counter(a["code"] for a in answers if a.status >= 400 and isinstance(a.json, dict))
        self.race_stock = (
            f"{buyers_n} checkouts of the last {units} units: "
            f"statuses {dict(counts)}, codes {dict(codes)}"
        )
        print("   " + self.race_stock)
        self.check(counts[201] == units, f"exactly {units} checkouts succeed ({dict(counts)})")
        self.check(
            counts[409] == buyers_n - units and codes["insufficient_stock"] == buyers_n - units,
            "the others are 409 insufficient_stock",
        )
        for a in answers:
            if a.status == 409 and isinstance(a.json, dict) and a["code"] == "insufficient_stock":
                self.check(
                    a["lines"] == [{"product": p["id"], "requested": 1, "available": 0}],
                    "insufficient_stock lines",
                    a,
                )
                break
        self.check(self.product_stock(p["id"]) == 0, "stock ends at 0")

        # One cart, 10 concurrent checkouts without a key (a double click): one order.
        buyer = self.register("double")
        self.expect(
            self.request("PATCH", f"products/{p['id']}/", {"stock_quantity": 10}, user=self.seller),
            200,
        )
        self.fill_cart(buyer, p, 2)
        answers = self.concurrently(
            [
                lambda: self.request("POST", "checkout/", self.checkout_body(), user=buyer)
                for _ in range(10)
            ]
        )
        counts = Counter(a.status for a in answers)
        codes = Counter(a["code"] for a in answers if a.status >= 400 and isinstance(a.json, dict))
        orders = self.list_all("orders/", user=buyer)
        self.race_double = (
            f"10 checkouts of one cart without a key: statuses {dict(counts)}, "
            f"codes {dict(codes)}, {len(orders)} order(s) stored"
        )
        print("   " + self.race_double)
        self.check(counts[201] == 1 and len(orders) == 1, "one cart, one order")
        self.check(
            counts[400] == 9 and codes["cart_empty"] == 9, "the other checkouts find the cart empty"
        )
        self.check(self.product_stock(p["id"]) == 8, "stock taken once")

        # One Idempotency-Key, 10 concurrent identical checkouts.
        buyer = self.register("idem")
        self.expect(
            self.request("PATCH", f"products/{p['id']}/", {"stock_quantity": 10}, user=self.seller),
            200,
        )
        self.fill_cart(buyer, p, 1)
        key = "race-" + secrets.token_hex(8)
        answers = self.concurrently(
            [
                lambda: self.request(
                    "POST",
                    "checkout/",
                    self.checkout_body(),
                    user=buyer,
                    headers={"Idempotency-Key": key},
                )
                for _ in range(10)
            ]
        )
        counts = Counter(a.status for a in answers)
        numbers = {a["order"]["number"] for a in answers if a.status == 201}
        orders = self.list_all("orders/", user=buyer)
        self.race_idem = (
            f"10 checkouts with one Idempotency-Key: statuses {dict(counts)}, "
            f"{len(numbers)} distinct order number(s), {len(orders)} order(s) stored"
        )
        print("   " + self.race_idem)
        self.check(len(orders) == 1, "one order for one key")
        self.check(
            counts[201] == 10 and len(numbers) == 1, "every racing request gets the first answer"
        )
        self.check(self.product_stock(p["id"]) == 9, "one unit reserved")

        # One webhook, 20 concurrent deliveries.
        self.fill_cart(buyer, p, 1)
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
            201,
            label="pending for webhook race",
        )
        payment, number = resp["payment"], resp["order"]["number"]
        event = {
            "event_id": f"evt-race-{self.suffix}",
            "payment_id": payment["id"],
            "type": "payment.captured",
            "amount": payment["amount"],
        }
        answers = self.concurrently([lambda: self.webhook(event) for _ in range(20)])
        counts = Counter(a.status for a in answers)
        got = self.order(number, buyer)
        pay = got["payments"][0]
        self.race_webhook = (
            f"20 deliveries of one webhook: statuses {dict(counts)}; payment {pay['status']}, "
            f"captured {pay['captured']['amount']} of {pay['amount']['amount']}; "
            f"order {got['status']}"
        )
        print("   " + self.race_webhook)
        self.check(counts[200] == 20, "every delivery answered 200")
        self.check(
            pay["status"] == "captured"
            and pay["captured"] == pay["amount"]
            and got["status"] == "confirmed",
            "captured once",
        )

        # 20 distinct capture events for the same payment at once.
        self.fill_cart(buyer, p, 1)
        resp = self.expect(
            self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
            201,
            label="pending for event race",
        )
        payment, number = resp["payment"], resp["order"]["number"]
        answers = self.concurrently(
            [
                lambda i=i: self.webhook(
                    {
                        "event_id": f"evt-many-{self.suffix}-{i}",
                        "payment_id": payment["id"],
                        "type": "payment.captured",
                        "amount": payment["amount"],
                    }
                )
                for i in range(20)
            ]
        )
        counts = Counter(a.status for a in answers)
        pay = self.order(number, buyer)["payments"][0]
        self.race_events = (
            f"20 distinct capture events of one payment: statuses {dict(counts)}; "
            f"captured {pay['captured']['amount']} of {pay['amount']['amount']}"
        )
        print("   " + self.race_events)
        self.check(
            counts[200] == 20 and pay["captured"] == pay["amount"],
            "distinct capture events capture once",
        )

        # Auth: one refresh token exchanged by 10 requests at once; 10 sign-ups with one e-mail.
        user = self.register("refresh")
        answers = self.concurrently(
            [
                lambda: self.request("POST", "auth/token/refresh/", {"refresh": user.refresh})
                for _ in range(10)
            ]
        )
        counts = Counter(a.status for a in answers)
        self.race_refresh = f"10 refreshes of one refresh token: statuses {dict(counts)}"
        print("   " + self.race_refresh)
        self.check(counts == {200: 1, 401: 9}, "a refresh token is exchanged once")
        email = f"same-{self.suffix}@smoke.example"
        answers = self.concurrently(
            [
                lambda i=i: self.request(
                    "POST",
                    "auth/register/",
                    {
                        "username": f"same{i}-{self.suffix}",
                        "email": email,
                        "password": "Smoke-" + secrets.token_urlsafe(12),
                    },
                )
                for i in range(10)
            ]
        )
        counts = Counter(a.status for a in answers)
        self.race_register = f"10 registrations with one e-mail address: statuses {dict(counts)}"
        print("   " + self.race_register)
        self.check(counts == {201: 1, 400: 9}, "one account per e-mail address")

    def provider_events(self, payment_id: int, tag: str) -> list[dict[str, Any]]:
        """One payment's provider events, in their natural order, then their duplicates: an
        authorization, a capture in two parts naming their references, a refund naming its
        reference, a refund made at the provider naming none; the same events again under new
        event ids (by the slot or the reference they name) and redelivered under their own."""
        base = {"payment_id": payment_id}

        def event(name: str, kind: str, amount: str, **extra: str) -> dict[str, Any]:
            return {
                **base,
                "event_id": f"evt-{tag}-{name}-{payment_id}-{self.suffix}",
                "type": f"payment.{kind}",
                "amount": self.money(amount),
                **extra,
            }

        natural = [
            event("auth", "authorized", "1000.00"),
            event("cap1", "captured", "600.00", reference=f"cap-1-{tag}"),
            event("cap2", "captured", "400.00", reference=f"cap-2-{tag}"),
            event("ref1", "refunded", "150.00", reference=f"ref-1-{tag}"),
            event("chargeback", "refunded", "50.00"),
        ]
        duplicates = [
            event("auth-again", "authorized", "1000.00"),
            event("cap1-again", "captured", "600.00", reference=f"cap-1-{tag}"),
            event("ref1-again", "refunded", "150.00", reference=f"ref-1-{tag}"),
            natural[2],
            natural[4],
        ]
        return natural + duplicates

    def money_state(self, order: dict[str, Any], tag: str = "") -> dict[str, Any]:
        """What must not depend on the order in which events arrived."""
        pay = order["payments"][0] if order.get("payments") else {}
        refunds = sorted(
            (
                r["amount"]["amount"],
                r["state"],
                r["reason"],
                r["reference"].replace(tag, "*") if tag else r["reference"],
            )
            for r in pay.get("refunds", [])
        )
        return {
            "order": {
                k: order.get(k)
                for k in (
                    "status",
                    "charge_status",
                    "authorize_status",
                    "charged",
                    "refunded",
                    "held",
                    "due",
                    "hold_reason",
                )
            },
            "payment": {
                k: pay.get(k)
                for k in (
                    "status",
                    "amount",
                    "authorized",
                    "captured",
                    "refunded",
                    "refund_pending",
                )
            },
            "refunds": refunds,
        }

    def money_races(self) -> None:
        """Provider events in any order and at once, and payments racing for one order."""
        p = self.p_money
        buyer = self.register("events")
        orders = []
        for tag in ("natural", "shuffled1", "shuffled2"):
            self.fill_cart(buyer, p, 1)
            resp = self.expect(
                self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
                201,
                label=f"checkout tok_pending ({tag})",
            )
            orders.append((tag, resp["order"]["number"], resp["payment"]["id"]))
        (tag, number, payment_id), shuffled = orders[0], orders[1:]
        for event in self.provider_events(payment_id, tag):
            resp = self.webhook(event)
            self.expect(resp, 200, label=f"natural order: {event['event_id']}")
        twin = self.order(number, buyer)
        self.order_shape(twin, "events in natural order")
        expected = self.money_state(twin, tag)
        pay = twin["payments"][0]
        self.check(
            pay["captured"] == self.money("1000.00")
            and pay["refunded"] == self.money("200.00")
            and pay["authorized"] == self.money("0")
            and pay["refund_pending"] == self.money("0")
            and pay["status"] == "partially_refunded"
            and expected["refunds"]
            == [
                ("150.00", "succeeded", "provider", "ref-1-*"),
                ("50.00", "succeeded", "provider", ""),
            ],
            f"natural order: captured in two parts, refunded twice, none booked twice {expected}",
        )
        self.check(
            twin["status"] == "on_hold"
            and twin["held"] == self.money("800.00")
            and twin["due"] == self.money("1000.00")
            and twin["charged"] == self.money("1000.00")
            and twin["refunded"] == self.money("200.00"),
            f"natural order: refunds at the provider put the order on hold {expected['order']}",
        )
        events = [e for _tag, _n, pid in shuffled for e in self.provider_events(pid, _tag)]
        secrets.SystemRandom().shuffle(events)
        answers = self.concurrently([lambda e=e: self.webhook(e) for e in events])
        counts = Counter(a.status for a in answers)
        results = Counter(str(a["result"]).split(":")[0] for a in answers if a.status == 200)
        self.check(
            counts == {200: len(events)}, f"every shuffled event answered 200 {dict(counts)}"
        )
        states = []
        for tag, number, _pid in shuffled:
            got = self.order(number, buyer)
            self.order_shape(got, f"events shuffled ({tag})")
            state = self.money_state(got, tag)
            states.append(state)
            self.check(
                state == expected,
                f"{tag}: shuffled concurrent events end where the natural order does\n"
                f"      natural:  {expected}\n      shuffled: {state}",
            )
        for tag, number, payment_id in shuffled:
            for event in self.provider_events(payment_id, tag):
                resp = self.webhook(event)
                self.check(
                    resp.status == 200 and resp["result"] == "duplicate",
                    f"{tag}: a delivered event is a duplicate afterwards",
                    resp,
                )
            self.check(
                self.money_state(self.order(number, buyer), tag) == expected,
                f"{tag}: redelivering every event changed nothing",
            )
        self.race_shuffled = (
            f"{len(events)} provider events of 2 payments, shuffled and at once: statuses "
            f"{dict(counts)}, results {dict(results)}; "
            f"{sum(s == expected for s in states)}/2 match the natural order"
        )
        print("   " + self.race_shuffled)

        # A capture naming no part and a part naming its reference: the same in either order.
        ends: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for tag in ("unnamed-first", "named-first"):
            self.fill_cart(buyer, p, 1)
            resp = self.expect(
                self.request("POST", "checkout/", self.checkout_body("tok_pending"), user=buyer),
                201,
                label=f"checkout tok_pending ({tag})",
            )
            number, payment_id = resp["order"]["number"], resp["payment"]["id"]
            unnamed = {
                "event_id": f"evt-{tag}-unnamed-{payment_id}-{self.suffix}",
                "payment_id": payment_id,
                "type": "payment.captured",
                "amount": self.money("600.00"),
            }
            named = {
                **unnamed,
                "event_id": f"evt-{tag}-part-{payment_id}-{self.suffix}",
                "amount": self.money("400.00"),
                "reference": f"part-{tag}",
            }
            outcomes: list[str] = []
            for event in [unnamed, named] if tag == "unnamed-first" else [named, unnamed]:
                resp = self.expect(self.webhook(event), 200, label=f"{tag}: {event['event_id']}")
                outcomes.append(f"{event['amount']['amount']}: {resp['result']}")
            got = self.order(number, buyer)
            self.order_shape(got, f"capture and part ({tag})")
            ends[tag] = (self.money_state(got, tag), outcomes)
        (first, first_results), (second, second_results) = ends.values()
        self.check(
            first == second,
            "a capture naming no part and a part naming its reference end the same in either "
            f"order\n      unnamed first: {first_results} -> {first['payment']}\n"
            f"      named first:   {second_results} -> {second['payment']}",
        )

        # Ten pay/ at once without an Idempotency-Key on an order whose payment failed.
        for token, label in (("tok_success", "race_pay"), ("tok_pending", "race_pay_pending")):
            payer = self.register("payer")
            self.fill_cart(payer, p, 1)
            resp = self.expect(
                self.request("POST", "checkout/", self.checkout_body("tok_error"), user=payer),
                502,
                "gateway_error",
                f"checkout tok_error (pay race, {token})",
            )
            number = resp["order"] if isinstance(resp["order"], str) else None
            if number is None:
                pending = self.list_all("orders/?status=pending", user=payer)
                number = pending[0]["number"] if pending else "missing"
            stock = self.product_stock(p["id"])
            body = {"payment_method": "dummy", "payment_data": {"token": token}}
            answers = self.concurrently(
                [
                    lambda path=f"orders/{number}/pay/", body=body, payer=payer: self.request(
                        "POST", path, body, user=payer
                    )
                    for _ in range(10)
                ]
            )
            counts = Counter(a.status for a in answers)
            codes = Counter(
                a["code"] for a in answers if a.status >= 400 and isinstance(a.json, dict)
            )
            won = [a for a in answers if a.status == 201]
            got = self.order(number, payer)
            self.order_shape(got, f"order paid by racing pay/ ({token})")
            live = [x for x in got["payments"] if x["status"] != "failed"]
            line = (
                f"10 pay/ at once ({token}) without a key: statuses {dict(counts)}, "
                f"codes {dict(codes)}; {len(live)} live payment(s), order {got['status']}"
            )
            setattr(self, label, line)
            print("   " + line)
            allowed = (
                {"payment_in_progress"}
                if token == "tok_pending"
                else {"payment_in_progress", "transition_not_allowed"}
            )
            self.check(
                counts[201] == 1 and counts[409] == 9 and set(codes) <= allowed,
                f"one pay/ wins, the others are 409 {sorted(allowed)} ({dict(counts)}, "
                f"{dict(codes)})",
            )
            self.check(len(live) == 1, f"one live payment ({len(live)})")
            if won and live:
                winner = won[0]["payment"]["id"]
                self.check(live[0]["id"] == winner, "the live payment is the winner's")
                self.check(
                    all(
                        a["payment"] == winner
                        for a in answers
                        if a.status == 409 and a["code"] == "payment_in_progress"
                    ),
                    "payment_in_progress names the winner's payment",
                )
            expected_status = "confirmed" if token == "tok_success" else "pending"
            self.check(
                got["status"] == expected_status
                and got["charged"] == (got["total"] if token == "tok_success" else self.money("0")),
                f"{token}: the order is {expected_status} and charged once ({got['status']}, "
                f"charged {got['charged']})",
            )
            self.check(self.product_stock(p["id"]) == stock, "pay/ races reserve no stock")

    # --- driver ----------------------------------------------------------------------------------

    def run(self) -> int:
        started = time.monotonic()
        sections = [
            ("health and schema", self.health_and_schema),
            ("auth", self.auth),
            ("catalog reads", self.catalog_reads),
            ("seller flow", self.seller_flow),
            ("cart", self.cart),
            ("checkout, payments, orders", self.checkout),
            ("fulfilments, reviews, wishlist", self.fulfilment_and_reviews),
            ("money: holds, refunds, partial cancels", self.money_flows),
            ("robustness", self.robustness),
            ("races", self.races),
            ("money races", self.money_races),
        ]
        if self.check_throttles:
            sections.append(("throttles", self.throttles))
        try:
            for name, func in sections:
                try:
                    self.run_section(name, func)
                except CheckFailedError:
                    raise
                except Exception as exc:  # noqa: BLE001 - report and go on with --keep-going
                    self.check(False, f"section crashed: {exc!r}")
        except CheckFailedError:
            pass
        print()
        print(
            f"Summary: {self.passed} checks passed, {len(self.failures)} failed, "
            f"{len(self.server_errors)} server errors (5xx), {time.monotonic() - started:.0f}s"
        )
        for line in (
            getattr(self, name, None)
            for name in (
                "race_stock",
                "race_double",
                "race_idem",
                "race_webhook",
                "race_events",
                "race_refresh",
                "race_register",
                "race_shuffled",
                "race_pay",
                "race_pay_pending",
                "race_throttle",
            )
        ):
            if line:
                print("  " + line)
        for note in sorted(set(self.notes)):
            print("  note: " + note)
        for err in self.server_errors:
            print("  5xx: " + err[:300])
        return 1 if self.failures or self.server_errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="site root, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="report every failure instead of stopping at the first",
    )
    parser.add_argument(
        "--check-throttles",
        action="store_true",
        help="also send anonymous cart creations until the anonymous limit answers 429 "
        "(needs the cart throttle on; creates that many anonymous carts)",
    )
    args = parser.parse_args(argv)
    secret = os.environ.get("DUMMY_GATEWAY_WEBHOOK_SECRET")
    if not secret:
        parser.error("set DUMMY_GATEWAY_WEBHOOK_SECRET to the site's dummy gateway webhook secret")
    return Smoke(args.base_url, secret, args.keep_going, args.check_throttles).run()


if __name__ == "__main__":
    sys.exit(main())
