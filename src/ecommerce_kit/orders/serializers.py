"""Shapes of orders and fulfilments, and validation of checkout and order-action input."""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce_kit import money
from ecommerce_kit.api.fields import (
    MoneyField,
    NoNullCharactersValidator,
    represent_datetime,
    represent_money,
)
from ecommerce_kit.catalog.serializers import StoreRefSerializer
from ecommerce_kit.orders.countries import (
    country_name,
    is_iso_country_code,
    is_shipping_country,
)
from ecommerce_kit.orders.models import Fulfilment, Order, OrderItem
from ecommerce_kit.orders.selectors import (
    get_order_view,
    list_fulfilment_actions,
    list_order_actions,
    list_seller_store_ids,
    may_see_payments,
)
from ecommerce_kit.orders.states import AuthorizeStatus, ChargeStatus, OrderView

_STRING_LIST = serializers.ListField(child=serializers.CharField())


# --- Input -----------------------------------------------------------------------------------


class ShippingAddressSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(
        min_length=2,
        max_length=2,
        help_text=_('ISO 3166-1 alpha-2 code of a country the shop ships to, e.g. "AO".'),
    )
    phone = serializers.RegexField(
        r"^\+?[0-9 ()./-]{4,32}$", max_length=32, required=False, allow_blank=True
    )

    def validate_country(self, value: str) -> str:
        code = value.upper()
        if is_shipping_country(code):
            return code
        if is_iso_country_code(code):  # left out by the host's COUNTRIES_ONLY or _OVERRIDE
            raise serializers.ValidationError(
                _("Shipping to %(country)s is not available.") % {"country": country_name(code)}
            )
        raise serializers.ValidationError(_("Not an ISO 3166-1 alpha-2 country code."))


class PaymentInputSerializer(serializers.Serializer):
    payment_method = serializers.CharField(max_length=64)
    payment_data = serializers.DictField(
        required=False, default=dict, validators=[NoNullCharactersValidator()]
    )


class CheckoutSerializer(PaymentInputSerializer):
    shipping_address = ShippingAddressSerializer()
    expected_total = MoneyField(required=False)


class RefundSerializer(serializers.Serializer):
    amount = MoneyField(required=False, positive=True)

    def validate_amount(self, value: Any) -> Any:
        currency = self.context.get("currency")
        if currency and str(value.currency) != currency:
            raise serializers.ValidationError(
                _("The amount must be in the order's currency, %(currency)s.")
                % {"currency": currency}
            )
        return value


class ShipSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


# --- Output ----------------------------------------------------------------------------------


class FieldsBuiltOnce:
    """For a ``ModelSerializer``: its fields are built from the model once per class, and each
    instance gets copies of them (DRF would inspect the model again for every instance, which is
    most of the cost of a nested representation)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built: dict[str, serializers.Field] | None = cls.__dict__.get("_kit_built_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._kit_built_fields = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


def represent_choice(value: Any) -> str | None:
    return None if value is None else str(value)


def represent_item(item: OrderItem) -> dict[str, Any]:
    """An order line's shape, as :class:`OrderItemSerializer`'s declared fields give it."""
    return {
        "id": item.pk,
        "product": item.product_id,
        "product_name": item.product_name,
        "unit_price": represent_money(item.unit_price),
        "quantity": item.quantity,
        "line_total": represent_money(item.line_total),
        "store": item.store_id,
    }


class OrderItemSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id", read_only=True)
    store = serializers.IntegerField(source="store_id", read_only=True)
    unit_price = MoneyField(read_only=True)
    line_total = MoneyField(read_only=True)

    class Meta:
        model = OrderItem
        fields = ("id", "product", "product_name", "unit_price", "quantity", "line_total", "store")
        read_only_fields = fields

    def to_representation(self, instance: OrderItem) -> dict[str, Any]:
        if type(self) is OrderItemSerializer:
            return represent_item(instance)
        return super().to_representation(instance)


def _viewer(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class OrderFulfilmentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A fulfilment inside an order: ``items`` are the ids of the order's lines it ships."""

    store = StoreRefSerializer(read_only=True)
    items = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Fulfilment
        fields = ("id", "store", "status", "tracking_number", "items", "available_transitions")
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_items(self, fulfilment: Fulfilment) -> list[int]:
        return _fulfilment_item_ids(fulfilment)

    @extend_schema_field(_STRING_LIST)
    def get_available_transitions(self, fulfilment: Fulfilment) -> list[str]:
        return list_fulfilment_actions(fulfilment, _viewer(self))

    def to_representation(self, instance: Fulfilment) -> dict[str, Any]:
        if type(self) is OrderFulfilmentSerializer:
            return represent_order_fulfilment(instance, _viewer(self))
        return super().to_representation(instance)


def _fulfilment_item_ids(fulfilment: Fulfilment) -> list[int]:
    # The order's lines are prefetched once; reading them here costs no query.
    return [item.pk for item in fulfilment.order.items.all() if item.fulfilment_id == fulfilment.pk]


def represent_order_fulfilment(fulfilment: Fulfilment, viewer: Any) -> dict[str, Any]:
    """A fulfilment's shape inside an order, as :class:`OrderFulfilmentSerializer` gives it."""
    store = fulfilment.store
    return {
        "id": fulfilment.pk,
        "store": {"id": store.pk, "slug": store.slug, "name": store.name},
        "status": str(fulfilment.status),
        "tracking_number": fulfilment.tracking_number,
        "items": _fulfilment_item_ids(fulfilment),
        "available_transitions": list_fulfilment_actions(fulfilment, viewer),
    }


_SELLER_NULL = "null in the seller's view: the order's amount is not the seller's to see."
#: What a seller reads of an order on hold (the buyer and staff read the amounts).
SELLER_HOLD_REASON = _("The payment no longer covers the order.")


class OrderSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """The order of the API contract, as the requesting user may see it.

    ``view`` says which shape it is. ``"full"`` (the buyer, staff who may view every order): every
    line, fulfilment and amount; ``payments`` only for the buyer and staff who may view payments.
    ``"seller"`` (a seller with a fulfilment in the order): only the seller's own lines and
    fulfilment, ``subtotal`` is the sum of those lines, ``shipping``, ``tax`` and ``total`` are
    ``null`` and ``payments`` is empty. Without a request in the context, the order is shown as to
    nobody in particular: the seller's view with no lines.
    """

    view = serializers.SerializerMethodField(
        help_text='"full" for the buyer and staff; "seller" for a seller in the order, who sees '
        "only their own lines and fulfilment, and their share as subtotal."
    )
    items = OrderItemSerializer(many=True, read_only=True)
    subtotal = MoneyField(
        read_only=True,
        help_text="In the seller's view, the sum of the seller's own lines.",
    )
    shipping = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    tax = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    total = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    charge_status = serializers.ChoiceField(
        choices=ChargeStatus.choices, read_only=True, allow_null=True, help_text=_SELLER_NULL
    )
    authorize_status = serializers.ChoiceField(
        choices=AuthorizeStatus.choices, read_only=True, allow_null=True, help_text=_SELLER_NULL
    )
    charged = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    refunded = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    held = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    due = MoneyField(read_only=True, allow_null=True, help_text=_SELLER_NULL)
    fulfilments = OrderFulfilmentSerializer(many=True, read_only=True)
    available_transitions = serializers.SerializerMethodField()

    FIELD_ORDER = (
        "number",
        "view",
        "status",
        "currency",
        "items",
        "subtotal",
        "shipping",
        "tax",
        "total",
        "charge_status",
        "authorize_status",
        "charged",
        "refunded",
        "held",
        "due",
        "hold_reason",
        "shipping_address",
        "fulfilments",
        "payments",
        "available_transitions",
        "created_at",
        "updated_at",
    )

    class Meta:
        model = Order
        fields = (
            "number",
            "view",
            "status",
            "currency",
            "items",
            "subtotal",
            "shipping",
            "tax",
            "total",
            "charge_status",
            "authorize_status",
            "charged",
            "refunded",
            "held",
            "due",
            "hold_reason",
            "shipping_address",
            "fulfilments",
            "available_transitions",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        # The payments app is imported here, not at module level, to keep the apps acyclic.
        from ecommerce_kit.payments.serializers import PaymentSerializer

        fields = super().get_fields()
        fields["payments"] = PaymentSerializer(many=True, read_only=True)
        return {name: fields[name] for name in self.FIELD_ORDER}

    @extend_schema_field(serializers.ChoiceField(choices=OrderView.choices))
    def get_view(self, order: Order) -> str:
        return str(get_order_view(order, _viewer(self)))

    @extend_schema_field(_STRING_LIST)
    def get_available_transitions(self, order: Order) -> list[str]:
        return list_order_actions(order, _viewer(self))

    def to_representation(self, instance: Order) -> dict[str, Any]:
        viewer = _viewer(self)
        if type(self) is OrderSerializer:
            data = self.represent(instance, viewer)
        else:
            data = super().to_representation(instance)
        if not may_see_payments(instance, viewer):
            data["payments"] = []
        if data["view"] == OrderView.FULL:
            return data
        # The seller's view: only the seller's own lines and fulfilments, and their share.
        stores = list_seller_store_ids(instance, viewer)
        own_lines = [item for item in instance.items.all() if item.store_id in stores]
        data["items"] = [item for item in data["items"] if item["store"] in stores]
        data["fulfilments"] = [f for f in data["fulfilments"] if f["store"]["id"] in stores]
        data["subtotal"] = self.fields["subtotal"].to_representation(
            money.total((item.line_total for item in own_lines), instance.currency)
        )
        for name in ("shipping", "tax", "total", "charged", "refunded", "held", "due"):
            data[name] = None
        data["charge_status"] = data["authorize_status"] = None
        if data["hold_reason"]:  # the reason names the order's amounts: not the seller's
            data["hold_reason"] = str(SELLER_HOLD_REASON)
        data["payments"] = []
        return data

    def represent(self, order: Order, viewer: Any) -> dict[str, Any]:
        """The full shape, field by field as the declared fields would give it (the kit's own
        serializer writes it directly: DRF's generic loop over bound fields, nested three deep,
        cost more than the rest of a checkout's answer). A subclass goes through DRF's loop."""
        from ecommerce_kit.payments.serializers import represent_payment

        return {
            "number": order.number,
            "view": str(get_order_view(order, viewer)),
            "status": str(order.status),
            "currency": order.currency,
            "items": [represent_item(item) for item in order.items.all()],
            "subtotal": represent_money(order.subtotal),
            "shipping": represent_money(order.shipping),
            "tax": represent_money(order.tax),
            "total": represent_money(order.total),
            "charge_status": represent_choice(order.charge_status),
            "authorize_status": represent_choice(order.authorize_status),
            "charged": represent_money(order.charged),
            "refunded": represent_money(order.refunded),
            "held": represent_money(order.held),
            "due": represent_money(order.due),
            "hold_reason": order.hold_reason,
            "shipping_address": order.shipping_address,
            "fulfilments": [
                represent_order_fulfilment(fulfilment, viewer)
                for fulfilment in order.fulfilments.all()
            ],
            "payments": [represent_payment(payment) for payment in order.payments.all()],
            "available_transitions": list_order_actions(order, viewer),
            "created_at": represent_datetime(order.created_at),
            "updated_at": represent_datetime(order.updated_at),
        }


class CheckoutResultSerializer(serializers.Serializer):
    """``{"order": Order, "payment": Payment}``, the answer of ``checkout/`` and ``pay/``."""

    order = OrderSerializer(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        from ecommerce_kit.payments.serializers import PaymentSerializer

        fields = super().get_fields()
        fields["payment"] = PaymentSerializer(read_only=True)
        return fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if type(self) is not CheckoutResultSerializer:
            return super().to_representation(instance)
        from ecommerce_kit.payments.serializers import represent_payment

        order, payment = instance["order"], instance["payment"]
        return {
            "order": OrderSerializer(context=self.context).to_representation(order),
            "payment": None if payment is None else represent_payment(payment),
        }


class FulfilmentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A fulfilment as a seller works on it: its order, address and the lines to ship."""

    order = serializers.CharField(source="order.number", read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)
    store = StoreRefSerializer(read_only=True)
    items = serializers.SerializerMethodField()
    lines = OrderItemSerializer(source="items", many=True, read_only=True)
    shipping_address = serializers.JSONField(source="order.shipping_address", read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Fulfilment
        fields = (
            "id",
            "order",
            "order_status",
            "store",
            "status",
            "tracking_number",
            "items",
            "lines",
            "shipping_address",
            "available_transitions",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_items(self, fulfilment: Fulfilment) -> list[int]:
        return [item.pk for item in fulfilment.items.all()]

    @extend_schema_field(_STRING_LIST)
    def get_available_transitions(self, fulfilment: Fulfilment) -> list[str]:
        return list_fulfilment_actions(fulfilment, _viewer(self))
