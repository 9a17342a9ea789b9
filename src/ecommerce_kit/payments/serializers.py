"""Shapes of payments and payment methods in the API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ecommerce_kit.api.fields import MoneyField, represent_datetime, represent_money
from ecommerce_kit.orders.serializers import FieldsBuiltOnce, represent_choice
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

    def to_representation(self, instance: LedgerEntry) -> dict[str, Any]:
        if type(self) is PaymentRefundSerializer:
            return represent_refund(instance)
        return super().to_representation(instance)


def represent_refund(entry: LedgerEntry) -> dict[str, Any]:
    """A refund's shape, as :class:`PaymentRefundSerializer`'s declared fields give it."""
    return {
        "id": entry.pk,
        "amount": represent_money(entry.amount),
        "state": represent_choice(entry.state),
        "reason": represent_choice(entry.reason),
        "reference": entry.reference,
        "idempotency_key": entry.idempotency_key,
        "created_at": represent_datetime(entry.created_at),
    }


def _refunds(payment: Payment) -> list[LedgerEntry]:
    # ``entries`` is prefetched with the order details; sorted here, not by another query.
    return sorted(
        (entry for entry in payment.entries.all() if entry.kind == EntryKind.REFUND),
        key=lambda entry: (entry.created_at, entry.pk),
    )


def represent_payment(payment: Payment) -> dict[str, Any]:
    """A payment's shape, as :class:`PaymentSerializer`'s declared fields give it (the kit's own
    serializers write it directly; a subclass goes through DRF's loop)."""
    return {
        "id": payment.pk,
        "gateway": payment.gateway,
        "status": represent_choice(payment.status),
        "amount": represent_money(payment.amount),
        "authorized": represent_money(payment.authorized),
        "captured": represent_money(payment.captured),
        "refunded": represent_money(payment.refunded),
        "refund_pending": represent_money(payment.refund_pending),
        "refunds": [represent_refund(entry) for entry in _refunds(payment)],
        "next_action": payment.next_action or None,
        "created_at": represent_datetime(payment.created_at),
    }


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
        return list(PaymentRefundSerializer(_refunds(payment), many=True).data)

    @extend_schema_field(NEXT_ACTION_SCHEMA)
    def get_next_action(self, payment: Payment) -> dict[str, Any] | None:
        return payment.next_action or None

    def to_representation(self, instance: Payment) -> dict[str, Any]:
        if type(self) is PaymentSerializer:
            return represent_payment(instance)
        return super().to_representation(instance)


class PaymentMethodSerializer(serializers.Serializer):
    """A configured gateway as a buyer sees it: ``{"id", "name", "currencies", "flow"}``."""

    id = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currencies = serializers.ListField(child=serializers.CharField(), read_only=True)
    flow = serializers.ChoiceField(choices=FLOWS, read_only=True)
