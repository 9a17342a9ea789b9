"""Property-based tests: any sequence of cart operations keeps the cart consistent.

Each example runs a random sequence of add / set / remove / clear / merge against a user's cart
and an anonymous one, checks every outcome against a small model of the rules (including "an
error changes nothing"), and after every step checks the invariants: the stored lines equal the
model, every quantity is within 1..MAX_QUANTITY_PER_LINE and within stock, the cart never holds
more than CART_MAX_LINES lines or two currencies, and the totals equal the sum of the lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moneyed import Money

from ecommerce_kit.cart import services
from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.cart.selectors import get_cart_summary
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.exceptions import (
    CartItemNotFoundError,
    CartLimitError,
    CurrencyMismatchError,
    EcommerceKitError,
    InsufficientStockError,
    InvalidInputError,
    ProductNotPurchasableError,
    ProductUnavailableError,
)
from tests.factories import CategoryFactory, ProductFactory, StoreFactory, UserFactory

MAX = 9
MAX_LINES = 3

# (price, currency, stock, kind) — kind: "ok", "inactive", "group", "variant"
CATALOG = [
    ("10.00", "AOA", 50, "ok"),  # stock above MAX: the per-line bound binds
    ("2.50", "AOA", 3, "ok"),
    ("0.99", "AOA", 0, "ok"),
    ("1000.00", "AOA", 6, "ok"),
    ("5.00", "USD", 10, "ok"),
    ("7.00", "USD", 2, "ok"),
    ("1.00", "AOA", 10, "inactive"),
    ("1.00", "AOA", 10, "group"),
    ("3.33", "AOA", 5, "variant"),
]


@dataclass
class ModelCart:
    lines: dict[int, int] = field(default_factory=dict)  # catalog index -> quantity
    currency: str = ""


def build_catalog() -> list[Product]:
    store, category = StoreFactory(), CategoryFactory()
    products: list[Product] = []
    group = None
    for price, currency, stock, kind in CATALOG:
        product = ProductFactory(
            store=store,
            category=category,
            price=Money(Decimal(price), currency),
            stock_quantity=stock,
            is_active=kind != "inactive",
            parent=group if kind == "variant" else None,
        )
        if kind == "group":
            group = product
        products.append(product)
    return products


def expected_add(cart: ModelCart, index: int, quantity: object) -> type[EcommerceKitError] | None:
    price, currency, stock, kind = CATALOG[index]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX:
        return InvalidInputError
    if kind == "inactive":
        return ProductUnavailableError
    if kind == "group":
        return ProductNotPurchasableError
    if cart.currency and currency != cart.currency:
        return CurrencyMismatchError
    new = cart.lines.get(index, 0) + quantity
    if new > MAX:
        return InvalidInputError
    if new > stock:
        return InsufficientStockError
    if index not in cart.lines and len(cart.lines) >= MAX_LINES:
        return CartLimitError
    cart.lines[index] = new
    cart.currency = currency
    return None


def expected_set(cart: ModelCart, index: int, quantity: object) -> type[EcommerceKitError] | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX:
        return InvalidInputError
    if index not in cart.lines:
        return CartItemNotFoundError
    if quantity > CATALOG[index][2]:
        return InsufficientStockError
    cart.lines[index] = quantity
    return None


def expected_remove(cart: ModelCart, index: int) -> type[EcommerceKitError] | None:
    if index not in cart.lines:
        return CartItemNotFoundError
    del cart.lines[index]
    if not cart.lines:
        cart.currency = ""
    return None


def expected_merge(source: ModelCart, target: ModelCart) -> None:
    currency = target.currency or source.currency
    for index, quantity in source.lines.items():
        _price, product_currency, stock, _kind = CATALOG[index]
        if product_currency != currency:
            continue
        cap = min(stock, MAX)
        if index in target.lines:
            existing = target.lines[index]
            target.lines[index] = max(existing, min(existing + quantity, cap))
        elif min(quantity, cap) >= 1 and len(target.lines) < MAX_LINES:
            target.lines[index] = min(quantity, cap)
    target.currency = currency if target.lines else ""


def check(cart: Cart, model: ModelCart, products: list[Product]) -> None:
    stored = dict(CartItem.objects.filter(cart=cart).values_list("product_id", "quantity"))
    assert stored == {products[i].pk: q for i, q in model.lines.items()}
    fresh = Cart.objects.get(pk=cart.pk)
    assert fresh.currency == model.currency
    assert len(stored) <= MAX_LINES
    for index, quantity in model.lines.items():
        assert 1 <= quantity <= MAX
        assert quantity <= CATALOG[index][2]
        assert CATALOG[index][1] == model.currency
    summary = get_cart_summary(fresh)
    assert summary.item_count == sum(line.quantity for line in summary.lines)
    if model.lines:
        expected = sum(
            (Money(Decimal(CATALOG[i][0]), model.currency) * q for i, q in model.lines.items()),
            Money(0, model.currency),
        )
        assert summary.subtotal == expected
        assert summary.subtotal == sum(
            (line.line_total for line in summary.lines), Money(0, model.currency)
        )
        assert all(line.line_total == line.unit_price * line.quantity for line in summary.lines)
        assert all(line.available for line in summary.lines)
    else:
        assert summary.subtotal is None
        assert summary.currency is None


# Adds are drawn most often, and the first products more often than the others, so that lines
# fill up, meet again across the two carts and get merged.
kinds = st.sampled_from(["add"] * 6 + ["set"] * 2 + ["remove", "clear"] + ["merge"] * 2)
targets = st.sampled_from(["user", "anon"])
indexes = st.sampled_from([0, 0, 0, 1, 1, *range(len(CATALOG))])
quantities = st.one_of(
    st.integers(min_value=MAX // 2, max_value=MAX),
    st.integers(min_value=1, max_value=MAX),
    st.sampled_from([-1, 0, MAX + 1, True]),
)
operations = st.tuples(kinds, targets, indexes, quantities)


def step(kind: str, target: str, index: int, quantity: object, world: dict) -> None:
    """Apply one operation to the model and to the database, and compare the outcomes."""
    carts, models, products, user = (
        world["carts"],
        world["models"],
        world["products"],
        world["user"],
    )
    if kind == "merge":
        expected_merge(models["anon"], models["user"])
        services.merge_carts(user=user, source_token=carts["anon"].token)
        assert not Cart.objects.filter(pk=carts["anon"].pk).exists()
        carts["anon"], models["anon"] = services.create_anonymous_cart(), ModelCart()
        return
    cart, model = carts[target], models[target]
    call: Callable[[], object]
    if kind == "add":
        error = expected_add(model, index, quantity)
        call = partial(
            services.add_item, cart=cart, product_id=products[index].pk, quantity=quantity
        )
    elif kind in ("set", "remove"):
        line = CartItem.objects.filter(cart=cart, product=products[index]).first()
        item_id = line.pk if line else 10**9
        if kind == "set":
            error = expected_set(model, index, quantity)
            call = partial(
                services.set_item_quantity, cart=cart, item_id=item_id, quantity=quantity
            )
        else:
            error = expected_remove(model, index)
            call = partial(services.remove_item, cart=cart, item_id=item_id)
    else:
        model.lines.clear()
        model.currency = ""
        error = None
        call = partial(services.clear_cart, cart=cart)
    if error is None:
        call()
    else:
        with pytest.raises(error):
            call()


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=10, max_size=25))
def test_any_sequence_of_operations_keeps_cart_consistent(ops):
    limits = {"MAX_QUANTITY_PER_LINE": MAX, "CART_MAX_LINES": MAX_LINES}
    with override_settings(ECOMMERCE_KIT=limits), transaction.atomic():
        user = UserFactory()
        world = {
            "products": build_catalog(),
            "user": user,
            "carts": {
                "user": services.get_or_create_user_cart(user=user),
                "anon": services.create_anonymous_cart(),
            },
            "models": {"user": ModelCart(), "anon": ModelCart()},
        }
        for op in ops:
            step(*op, world=world)
            for name in ("user", "anon"):
                check(world["carts"][name], world["models"][name], world["products"])
        transaction.set_rollback(True)
