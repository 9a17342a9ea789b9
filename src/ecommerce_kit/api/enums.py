"""OpenAPI names for the kit's enums, importable from a settings module (no Django imports)."""

from __future__ import annotations

#: Names for the kit's enums in the OpenAPI document. Orders, fulfilments and payments all have a
#: ``status`` field; without these names drf-spectacular warns that it cannot name them.
#: Use them in the host's settings:
#: ``SPECTACULAR_SETTINGS = {"ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES}``.
ENUM_NAME_OVERRIDES: dict[str, str] = {
    "OrderStatusEnum": "ecommerce_kit.orders.states.OrderStatus",
    "OrderViewEnum": "ecommerce_kit.orders.states.OrderView",
    "FulfilmentStatusEnum": "ecommerce_kit.orders.states.FulfilmentStatus",
    "PaymentStatusEnum": "ecommerce_kit.payments.states.PaymentStatus",
}
