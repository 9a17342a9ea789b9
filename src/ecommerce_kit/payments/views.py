"""HTTP endpoints of the payments app: payment methods, an order's payments, webhooks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit import plugins
from ecommerce_kit.api.schema import error_responses, extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.payments import selectors, services
from ecommerce_kit.payments.models import Payment
from ecommerce_kit.payments.serializers import PaymentMethodSerializer, PaymentSerializer


class PaymentMethodListView(KitViewMixin, APIView):
    """``GET payment-methods/[?currency=AOA]``: the configured gateways, for anyone."""

    permission_classes = [AllowAny]
    # One short list, never paginated (the schema would otherwise describe a page of it).
    pagination_class = None

    @extend_schema(
        operation_id="payment_methods_list",
        parameters=[OpenApiParameter("currency", str, description="ISO 4217 code")],
        responses={
            200: PaymentMethodSerializer(many=True),
            **error_responses({400: "invalid (unknown or unsupported currency)"}),
        },
    )
    def get(self, request: Request) -> Response:
        currency = request.query_params.get("currency") or None
        if currency is not None and currency not in kit_settings.CURRENCIES:
            raise ValidationError(
                {
                    "currency": [
                        _("Unknown or unsupported currency; use one of: %(allowed)s.")
                        % {"allowed": ", ".join(kit_settings.CURRENCIES)}
                    ]
                }
            )
        methods = [
            {
                "id": g.id,
                "name": str(g.name),
                "flow": str(g.flow),
                "currencies": list(plugins.gateway_currencies(g)),
            }
            for g in plugins.list_gateways(currency=currency)
        ]
        return Response(PaymentMethodSerializer(methods, many=True).data)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: PaymentSerializer(many=True),
            **error_responses(
                {
                    400: "invalid (bad page_size)",
                    401: "not_authenticated",
                    404: "not_found (or not yours, or page beyond the last)",
                }
            ),
        }
    )
)
class OrderPaymentListView(KitViewMixin, ListAPIView):
    """``GET orders/{number}/payments/``: the payments of an order, for its buyer and staff."""

    permission_classes = [IsAuthenticated]
    serializer_class = PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        order = selectors.get_order_for_payments(
            number=self.kwargs["number"], user=self.request.user
        )
        return selectors.list_order_payments(order=order)


class WebhookView(KitViewMixin, APIView):
    """``POST payments/webhooks/{gateway}/``: events from a gateway, verified by it."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="payments_webhook",
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer(
                "WebhookReceived",
                {"status": serializers.CharField(), "result": serializers.CharField()},
            ),
            **error_responses(
                {
                    400: "invalid_signature (nothing changed), invalid (an authentic body "
                    "that cannot be read)",
                    404: "not_found (unknown or unconfigured gateway, or unknown payment)",
                }
            ),
        },
    )
    def post(self, request: Request, gateway: str, **kwargs: Any) -> Response:
        result = services.handle_webhook(
            gateway_id=gateway, body=request.body, headers=request.headers
        )
        return Response({"status": "ok", "result": result})
