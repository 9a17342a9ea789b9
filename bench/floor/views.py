"""Bare DRF views over the kit's tables: what a team would write by hand for the same requests.

Minimal but correct: prices come from the database and are totalled on the server, stock is
checked when adding to the cart and taken at checkout by a conditional ``UPDATE`` (never
oversold), one cart per user locked while it changes, answers in the kit's JSON shapes. What they
leave out is the kit's generality: plugins and hooks, variants' purchasability rules beyond the
basic ones, the order state machine's audit trail, the payment ledger, idempotency keys,
e-mails, error-code catalogue, throttles and schema.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from moneyed import Money
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit.cart.models import Cart, CartItem
from ecommerce_kit.catalog.models import Product
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.states import ChargeStatus, OrderStatus
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.payments.states import PaymentStatus

PAGE_SIZE = 20
MAX_QUANTITY = 99
CENT = Decimal("0.01")
ADDRESS_FIELDS = ("full_name", "line1", "city", "country")


class FloorView(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    permission_classes = [AllowAny]


def error(status: int, code: str, message: str) -> Response:
    return Response({"error": message, "code": code, "status_code": status}, status=status)


def money(value: Money) -> dict[str, str]:
    return {"amount": f"{value.amount.quantize(CENT):f}", "currency": str(value.currency)}


# --- catalog -----------------------------------------------------------------------------------


def catalog_queryset() -> Any:
    return Product.objects.filter(
        is_active=True, store__is_active=True, store__is_approved=True
    ).select_related("category", "store", "rating")


def product_dict(product: Product, variants: list[Product] | None) -> dict[str, Any]:
    try:
        rating = product.rating
        average = rating.average
        rating_dict = {
            "average": None if average is None else f"{average:.2f}",
            "count": rating.count,
        }
    except Product.rating.RelatedObjectDoesNotExist:
        rating_dict = {"average": None, "count": 0}
    in_stock = (
        any(v.stock_quantity > 0 for v in variants) if variants else product.stock_quantity > 0
    )
    data = {
        "id": product.pk,
        "slug": product.slug,
        "name": product.name,
        "description": product.description,
        "price": money(product.price),  # type: ignore[arg-type]
        "stock_quantity": product.stock_quantity,
        "in_stock": in_stock,
        "category": {
            "id": product.category.pk,
            "slug": product.category.slug,
            "name": product.category.name,
        },
        "store": {"id": product.store.pk, "slug": product.store.slug, "name": product.store.name},
        "rating": rating_dict,
        "attributes": product.attributes,
        "parent": product.parent_id,
        "is_active": product.is_active,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }
    if variants is not None:
        data["variants"] = [product_dict(v, None) for v in variants]
    return data


def variants_of(ids: list[int]) -> dict[int, list[Product]]:
    found: dict[int, list[Product]] = {pk: [] for pk in ids}
    for variant in catalog_queryset().filter(parent_id__in=ids).order_by("id"):
        found[variant.parent_id].append(variant)  # type: ignore[index]
    return found


class ProductListView(FloorView):
    """``GET floor/products/?page=N``: a page of 20 groups and standalone products, newest first."""

    def get(self, request: Request) -> Response:
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            return error(400, "invalid", "page must be an integer")
        queryset = catalog_queryset().filter(parent__isnull=True).order_by("-created_at", "-id")
        count = queryset.count()
        products = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        if not products and page > 1:
            return error(404, "not_found", "No such page.")
        variants = variants_of([p.pk for p in products])
        base = request.build_absolute_uri(request.path)
        return Response(
            {
                "count": count,
                "next": f"{base}?page={page + 1}" if page * PAGE_SIZE < count else None,
                "previous": f"{base}?page={page - 1}" if page > 1 else None,
                "results": [product_dict(p, variants[p.pk]) for p in products],
            }
        )


class ProductDetailView(FloorView):
    """``GET floor/products/{id}/``: one product with its active variants."""

    def get(self, request: Request, pk: int) -> Response:
        product = catalog_queryset().filter(pk=pk).first()
        if product is None:
            return error(404, "not_found", "Not found.")
        variants = variants_of([product.pk])[product.pk] if product.parent_id is None else None
        return Response(product_dict(product, variants))


# --- cart --------------------------------------------------------------------------------------


def cart_dict(cart: Cart) -> dict[str, Any]:
    lines = []
    subtotal = Decimal(0)
    count = 0
    for item in (
        CartItem.objects.filter(cart=cart).select_related("product").order_by("created_at", "id")
    ):
        product = item.product
        price: Money = product.price  # type: ignore[assignment]
        line_total = price.amount * item.quantity
        available = product.is_active and str(price.currency) == cart.currency
        if available:
            subtotal += line_total
            count += item.quantity
        lines.append(
            {
                "id": item.pk,
                "product": {"id": product.pk, "name": product.name, "slug": product.slug},
                "quantity": item.quantity,
                "unit_price": money(price),
                "line_total": money(Money(line_total, price.currency)),
                "available": available,
            }
        )
    return {
        "token": cart.token,
        "currency": cart.currency or None,
        "items": lines,
        "item_count": count,
        "subtotal": money(Money(subtotal, cart.currency)) if cart.currency else None,
        "updated_at": cart.updated_at,
    }


def locked_cart(user_id: int) -> Cart:
    """The user's cart, locked until the transaction ends (created on first use)."""
    cart = Cart.objects.select_for_update().filter(user_id=user_id).first()
    if cart is None:
        Cart.objects.get_or_create(user_id=user_id)
        cart = Cart.objects.select_for_update().get(user_id=user_id)
    return cart


class CartView(FloorView):
    """``GET floor/cart/``: the signed-in user's cart with live prices and its subtotal."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        cart, _created = Cart.objects.get_or_create(user_id=request.user.pk)
        return Response(cart_dict(cart))


class CartItemsView(FloorView):
    """``POST floor/cart/items/ {"product": id, "quantity": n}``: add to the user's cart."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        product_id = request.data.get("product")
        quantity = request.data.get("quantity", 1)
        if not isinstance(product_id, int) or isinstance(product_id, bool) or product_id < 1:
            return error(400, "invalid", "product must be a product id")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return error(400, "invalid", "quantity must be an integer")
        if not 1 <= quantity <= MAX_QUANTITY:
            return error(400, "invalid", f"quantity must be from 1 to {MAX_QUANTITY}")
        with transaction.atomic():
            cart = locked_cart(request.user.pk)
            product = (
                catalog_queryset()
                .select_related(None)
                .select_related("store", "parent")
                .annotate(is_group=Exists(Product.objects.filter(parent=OuterRef("pk"))))
                .filter(pk=product_id)
                .first()
            )
            if product is None or (product.parent_id and not product.parent.is_active):  # type: ignore[union-attr]
                return error(400, "product_unavailable", "This product is not available.")
            if product.is_group:  # type: ignore[attr-defined]
                return error(400, "product_not_purchasable", "Choose one of its variants.")
            currency = str(product.price_currency)
            if cart.currency and cart.currency != currency:
                return error(409, "currency_mismatch", "The cart holds another currency.")
            line = CartItem.objects.filter(cart=cart, product=product).first()
            new_quantity = quantity + (line.quantity if line else 0)
            if new_quantity > MAX_QUANTITY:
                return error(400, "invalid", f"A line holds at most {MAX_QUANTITY}.")
            if new_quantity > product.stock_quantity:
                return error(409, "insufficient_stock", "Not enough stock.")
            now = timezone.now()
            if line is not None:
                CartItem.objects.filter(pk=line.pk).update(quantity=new_quantity, updated_at=now)
            else:
                CartItem.objects.create(cart=cart, product=product, quantity=quantity)
            Cart.objects.filter(pk=cart.pk).update(currency=currency, updated_at=now)
            cart.currency, cart.updated_at = currency, now
            return Response(cart_dict(cart), status=201)


# --- checkout ----------------------------------------------------------------------------------


class OutOfStockError(Exception):
    pass


def dummy_capture(token: str, amount: Money) -> bool:
    """The dummy gateway: ``tok_success`` captures, anything else is declined."""
    return token == "tok_success" and amount.amount > 0


class CheckoutView(FloorView):
    """``POST floor/checkout/``: place an order for the cart, then capture it (dummy gateway).

    Like the kit, the order is placed and committed before the gateway is called, then the
    payment and the order's new status are written in a second transaction.
    """

    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        address = request.data.get("shipping_address")
        payment_data = request.data.get("payment_data") or {}
        if not isinstance(address, dict) or not all(
            isinstance(address.get(key), str) and address[key].strip() for key in ADDRESS_FIELDS
        ):
            return error(400, "invalid", "shipping_address needs " + ", ".join(ADDRESS_FIELDS))
        if request.data.get("payment_method") != "dummy" or not isinstance(payment_data, dict):
            return error(400, "invalid", "payment_method must be dummy")
        try:
            with transaction.atomic():
                cart = locked_cart(request.user.pk)
                lines = list(
                    CartItem.objects.filter(cart=cart)
                    .select_related("product__store")
                    .order_by("product_id")
                )
                if not lines:
                    return error(400, "cart_empty", "The cart is empty.")
                for line in lines:
                    product = line.product
                    if (
                        not product.is_active
                        or not product.store.is_selling
                        or str(product.price_currency) != cart.currency
                    ):
                        return error(400, "product_unavailable", f"{product.name} is unavailable.")
                    taken = Product.objects.filter(
                        pk=product.pk, stock_quantity__gte=line.quantity
                    ).update(stock_quantity=F("stock_quantity") - line.quantity)
                    if not taken:
                        raise OutOfStockError(product.pk)
                currency = cart.currency
                subtotal = sum(
                    (line.product.price.amount * line.quantity for line in lines),  # type: ignore[union-attr]
                    Decimal(0),
                )
                total = Money(subtotal, currency)
                zero = Money(0, currency)
                order = Order.objects.create(
                    number="FL-" + secrets.token_hex(6).upper(),
                    buyer_id=request.user.pk,
                    currency=currency,
                    subtotal=total,
                    shipping=zero,
                    tax=zero,
                    total=total,
                    charged=zero,
                    refunded=zero,
                    held=zero,
                    credited=zero,
                    cancelled_amount=zero,
                    shipping_address=address,
                )
                stores = sorted({line.product.store_id for line in lines})
                fulfilments = Fulfilment.objects.bulk_create(
                    [Fulfilment(order=order, store_id=store_id) for store_id in stores]
                )
                by_store = {f.store_id: f for f in fulfilments}
                OrderItem.objects.bulk_create(
                    [
                        OrderItem(
                            order=order,
                            product_id=line.product_id,
                            store_id=line.product.store_id,
                            fulfilment=by_store[line.product.store_id],
                            product_name=line.product.name,
                            unit_price=line.product.price,
                            quantity=line.quantity,
                            line_total=line.product.price * line.quantity,
                        )
                        for line in lines
                    ]
                )
                CartItem.objects.filter(cart=cart).delete()
                Cart.objects.filter(pk=cart.pk).update(currency="", updated_at=timezone.now())
        except OutOfStockError:
            return error(409, "insufficient_stock", "Not enough stock.")
        captured = dummy_capture(str(payment_data.get("token", "")), total)
        with transaction.atomic():
            Payment.objects.create(
                order=order,
                gateway="dummy",
                currency=currency,
                amount=total,
                authorized=total if captured else zero,
                captured=total if captured else zero,
                refunded=zero,
                refund_pending=zero,
                voided=zero,
                credited=zero,
                status=PaymentStatus.CAPTURED if captured else PaymentStatus.FAILED,
            )
            if captured:
                Order.objects.filter(pk=order.pk).update(
                    status=OrderStatus.CONFIRMED,
                    charge_status=ChargeStatus.FULL,
                    charged=total.amount,
                    held=total.amount,
                    updated_at=timezone.now(),
                )
        return Response(
            {
                "order": {
                    "number": order.number,
                    "status": OrderStatus.CONFIRMED if captured else OrderStatus.PENDING,
                    "currency": currency,
                    "subtotal": money(total),
                    "total": money(total),
                    "items": [
                        {
                            "product": line.product_id,
                            "name": line.product.name,
                            "quantity": line.quantity,
                            "unit_price": money(line.product.price),  # type: ignore[arg-type]
                        }
                        for line in lines
                    ],
                },
                "payment": {"status": "captured" if captured else "failed"},
            },
            status=201,
        )
