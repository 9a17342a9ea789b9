"""Shapes of payments and payment methods in the API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField
from ecommerce_kit.orders.serializers import FieldsBuiltOnce
from ecommerce_kit.payments.base import FLOWS
from ecommerce_kit.payments.models import LedgerEntry, Payment
from ecommerce_kit.payments.states import EntryKind

NEXT_ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "nullable": True,
    "description": 'null, {"type": "redirect", "url"} or {"type": "reference", "entity", '
    '"reference", "expires_at"}',
    "properties": {
        "type": {"type": "string", "enum": ["redirect", "reference"]},
        "url": {"type": "string", "format": "uri"},
        "entity": {"type": "string"},
        "reference": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
    "required": ["type"],
}


class PaymentRefundSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A refund of a payment: ``{"id", "amount", "state", "reason", "reference",
    "idempotency_key", "created_at"}``. ``reference`` is the provider's, ``idempotency_key`` the
    kit's (a provider's refund event may name either)."""

    amount = MoneyField(read_only=True)
    idempotency_key = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "amount",
            "state",
            "reason",
            "reference",
            "idempotency_key",
            "created_at",
        ]
        read_only_fields = fields


class PaymentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """``{"id", "gateway", "status", "amount", "authorized", "captured", "refunded",
    "refund_pending", "refunds", "next_action", "created_at"}``; every field is read-only."""

    amount = MoneyField(read_only=True)
    authorized = MoneyField(read_only=True)
    captured = MoneyField(read_only=True)
    refunded = MoneyField(read_only=True)
    refund_pending = MoneyField(read_only=True)
    refunds = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "gateway",
            "status",
            "amount",
            "authorized",
            "captured",
            "refunded",
            "refund_pending",
            "refunds",
            "next_action",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PaymentRefundSerializer(many=True))
    def get_refunds(self, payment: Payment) -> list[dict[str, Any]]:
        # ``entries`` is prefetched with the order details; sorted here, not by another query.
        refunds = sorted(
            (entry for entry in payment.entries.all() if entry.kind == EntryKind.REFUND),
            key=lambda entry: (entry.created_at, entry.pk),
        )
        return list(PaymentRefundSerializer(refunds, many=True).data)

    @extend_schema_field(NEXT_ACTION_SCHEMA)
    def get_next_action(self, payment: Payment) -> dict[str, Any] | None:
        return payment.next_action or None


class PaymentMethodSerializer(serializers.Serializer):
    """A configured gateway as a buyer sees it: ``{"id", "name", "currencies", "flow"}``."""

    id = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currencies = serializers.ListField(child=serializers.CharField(), read_only=True)
    flow = serializers.ChoiceField(choices=FLOWS, read_only=True)
