"""HTTP endpoints of checkout, orders and fulfilments (see the API contract)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import django_filters
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ecommerce_kit.api.fields import MoneyField
from ecommerce_kit.api.schema import error_responses, extend_schema
from ecommerce_kit.api.views import KitViewMixin
from ecommerce_kit.exceptions import NotFoundError, PermissionDeniedError
from ecommerce_kit.orders import idempotency, selectors, services
from ecommerce_kit.orders.models import Fulfilment, Order, can_cancel_order, can_fulfil
from ecommerce_kit.orders.serializers import (
    CheckoutResultSerializer,
    CheckoutSerializer,
    FulfilmentSerializer,
    OrderSerializer,
    PaymentInputSerializer,
    RefundSerializer,
    ShipSerializer,
)
from ecommerce_kit.orders.states import FulfilmentStatus, OrderStatus

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=idempotency.HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description="Up to 255 characters. The same key from the same user within "
    "IDEMPOTENCY_KEY_TTL returns the first answer and does nothing again.",
)


class IdempotentViewMixin:
    """Run a write once per ``Idempotency-Key`` and replay its answer for repeats."""

    def run_idempotent(
        self,
        request: Request,
        *,
        scope: str,
        run: Callable[[], Response],
        recover: Callable[[str, datetime], Response | None] | None = None,
    ) -> Response:
        """Answer ``request`` with ``run()``, once per key; ``recover(key, since)`` answers for
        what a request that died holding the key left behind (see :mod:`.idempotency`)."""
        key = idempotency.clean_key(request.headers.get(idempotency.HEADER))
        if key is None:
            return run()
        fingerprint = idempotency.request_fingerprint(scope=scope, payload=request.data)

        def recovered(since: datetime) -> idempotency.StoredResponse | None:
            response = recover(key, since) if recover is not None else None
            if response is None:
                return None
            return idempotency.StoredResponse(status_code=response.status_code, body=response.data)

        claim = idempotency.claim_key(
            user=_buyer(request), key=key, fingerprint=fingerprint, recover=recovered
        )
        if isinstance(claim, idempotency.StoredResponse):
            replay = Response(claim.body, status=claim.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = run()
        except Exception as exc:
            try:
                response = self.handle_exception(exc)  # type: ignore[attr-defined]
            except Exception:
                # Not an answer of the contract: give the key back so the client can retry.
                idempotency.release_key(claim=claim)
                raise
        idempotency.complete_key(claim=claim, status_code=response.status_code, body=response.data)
        return response


def _buyer(request: Request) -> AbstractBaseUser:
    """The authenticated user of ``request`` (the views require authentication)."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise NotAuthenticated()
    return user


def _order_response(request: Request, order: Order, *, status_code: int = 200) -> Response:
    fresh = selectors.get_visible_order(request.user, order.number) or order
    return Response(OrderSerializer(fresh, context={"request": request}).data, status=status_code)


def _result_response(request: Request, order: Order, payment: Any) -> Response:
    # The services return the order read again with its details (the buyer's own order).
    data = CheckoutResultSerializer(
        {"order": order, "payment": payment}, context={"request": request}
    ).data
    return Response(data, status=status.HTTP_201_CREATED)


class CheckoutView(IdempotentViewMixin, KitViewMixin, APIView):
    """``POST checkout/``: turn the user's cart into an order and pay it."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "ecommerce_kit.checkout"

    @extend_schema(
        operation_id="checkout",
        request=CheckoutSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: CheckoutResultSerializer,
            **error_responses(
                {
                    400: "invalid, cart_empty, product_unavailable, unknown_payment_method, "
                    "invalid_idempotency_key",
                    401: "not_authenticated",
                    402: "payment_declined (the body's order was cancelled, the cart kept)",
                    409: "price_changed (with subtotal, shipping, tax, total), "
                    "insufficient_stock (with lines), currency_mismatch, "
                    "idempotency_key_in_progress",
                    422: "idempotency_key_reused",
                    429: "throttled",
                    502: "gateway_error (the body's order stays pending; retry with pay/)",
                }
            ),
        },
    )
    def post(self, request: Request) -> Response:
        return self.run_idempotent(
            request,
            scope="checkout",
            run=lambda: self._checkout(request),
            recover=lambda key, since: self._placed(request, key, since),
        )

    def _placed(self, request: Request, key: str, since: datetime) -> Response | None:
        """The order a checkout with ``key`` placed since ``since``, as it is now (201), if any:
        what to answer when that checkout died before storing its answer."""
        order = (
            Order.objects.filter(
                buyer_id=_buyer(request).pk, idempotency_key=key, created_at__gte=since
            )
            .order_by("-pk")
            .first()
        )
        if order is None:
            return None
        order = selectors.get_visible_order(request.user, order.number) or order
        return _result_response(request, order, order.payments.order_by("-pk").first())

    def _checkout(self, request: Request) -> Response:
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from ecommerce_kit.payments.services import checkout

        order, payment = checkout(
            user=_buyer(request),
            shipping_address=dict(data["shipping_address"]),
            payment_method=data["payment_method"],
            payment_data=data["payment_data"],
            expected_total=data.get("expected_total"),
            idempotency_key=idempotency.clean_key(request.headers.get(idempotency.HEADER)),
        )
        return _result_response(request, order, payment)


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)

    class Meta:
        model = Order
        fields = ["status"]


class FulfilmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FulfilmentStatus.choices)

    class Meta:
        model = Fulfilment
        fields = ["status"]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    refund = MoneyField(
        required=False,
        positive=True,
        help_text="Staff with refund_payment only: what to refund for the cancelled goods of an "
        "order part of which has shipped, instead of their share (a whole cancelled order gives "
        "back everything it holds).",
    )

    def validate_refund(self, value: Any) -> Any:
        currency = self.context.get("currency")
        if currency and str(value.currency) != currency:
            raise serializers.ValidationError(
                _("The amount must be in the order's currency, %(currency)s.")
                % {"currency": currency}
            )
        return value


@extend_schema_view(
    list=extend_schema(
        responses={
            200: OrderSerializer(many=True),
            **error_responses(
                {
                    400: "invalid (bad status filter or page_size)",
                    401: "not_authenticated",
                    404: "not_found (page beyond the last)",
                }
            ),
        }
    ),
    retrieve=extend_schema(
        responses={
            200: OrderSerializer,
            **error_responses({401: "not_authenticated", 404: "not_found (or not yours)"}),
        }
    ),
)
class OrderViewSet(
    IdempotentViewMixin,
    KitViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Orders: list, detail, and the ``cancel/``, ``pay/`` and ``refund/`` actions."""

    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "number"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter

    def get_queryset(self) -> QuerySet[Order]:
        if self.action == "list":
            queryset = selectors.list_orders_for(self.request.user)
        else:
            queryset = selectors.list_visible_orders(self.request.user)
        return selectors.with_order_details(queryset)

    @property
    def throttle_scope(self) -> str | None:
        """Payment attempts and refunds are throttled; the other actions are not."""
        return "ecommerce_kit.payment" if self.action in ("pay", "refund") else None

    def _visible_order(self, number: str) -> Order:
        order = selectors.list_visible_orders(self.request.user).filter(number=number).first()
        if order is None:
            raise NotFoundError()
        return order

    @extend_schema(
        request=CancelSerializer,
        responses={
            200: OrderSerializer,
            **error_responses(
                {
                    400: "invalid",
                    401: "not_authenticated",
                    403: "permission_denied (only the buyer and staff with cancel_order cancel)",
                    404: "not_found",
                    409: "transition_not_allowed",
                }
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, number: str) -> Response:
        order = self._visible_order(number)
        if order.buyer_id != request.user.pk and not can_cancel_order(order, request.user):
            raise PermissionDeniedError()
        serializer = CancelSerializer(data=request.data, context={"currency": order.currency})
        serializer.is_valid(raise_exception=True)
        refund = serializer.validated_data.get("refund")
        if refund is not None and not selectors.may_refund(request.user):
            raise PermissionDeniedError()
        order = services.cancel_order(
            order_id=order.pk,
            actor=request.user,
            note=serializer.validated_data["reason"],
            refund=refund,
        )
        return _order_response(request, order)

    @extend_schema(
        request=PaymentInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: CheckoutResultSerializer,
            **error_responses(
                {
                    400: "invalid, unknown_payment_method, invalid_idempotency_key",
                    401: "not_authenticated",
                    402: "payment_declined (the order is cancelled)",
                    403: "permission_denied (only the buyer pays)",
                    404: "not_found",
                    409: "transition_not_allowed (not pending), idempotency_key_in_progress",
                    422: "idempotency_key_reused",
                    429: "throttled",
                    502: "gateway_error (the order stays pending)",
                }
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, number: str) -> Response:
        order = self._visible_order(number)
        if order.buyer_id != request.user.pk:
            raise PermissionDeniedError()
        return self.run_idempotent(
            request, scope=f"pay:{order.number}", run=lambda: self._pay(request, order)
        )

    def _pay(self, request: Request, order: Order) -> Response:
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        from ecommerce_kit.payments.services import pay_order

        order, payment = pay_order(
            order_id=order.pk,
            actor=request.user,
            payment_method=serializer.validated_data["payment_method"],
            payment_data=serializer.validated_data["payment_data"],
        )
        return _result_response(request, order, payment)

    @extend_schema(
        request=RefundSerializer,
        responses={
            200: OrderSerializer,
            **error_responses(
                {
                    400: "invalid",
                    401: "not_authenticated",
                    403: "permission_denied (staff with refund_payment only)",
                    404: "not_found",
                    409: "refund_exceeds_captured (with refundable)",
                    429: "throttled",
                    502: "gateway_error",
                }
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, number: str) -> Response:
        from ecommerce_kit.payments.services import refund_order

        order = self._visible_order(number)
        if not selectors.may_refund(request.user):
            raise PermissionDeniedError()
        serializer = RefundSerializer(data=request.data, context={"currency": order.currency})
        serializer.is_valid(raise_exception=True)
        refund_order(
            order=order, amount=serializer.validated_data.get("amount"), actor=request.user
        )
        return _order_response(request, order)


_FULFILMENT_ERRORS = {
    401: "not_authenticated",
    403: "permission_denied (staff without manage_fulfilment)",
    404: "not_found (or not your store's)",
    409: "transition_not_allowed (out of order), payment_missing (the order is on hold)",
}


@extend_schema_view(
    list=extend_schema(
        responses={
            200: FulfilmentSerializer(many=True),
            **error_responses(
                {
                    400: "invalid (bad status filter or page_size)",
                    401: "not_authenticated",
                    404: "not_found (page beyond the last)",
                }
            ),
        }
    )
)
class FulfilmentViewSet(KitViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A seller's fulfilments (staff: all) and their ``process/``, ``ship/``, ``deliver/``."""

    serializer_class = FulfilmentSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend]
    filterset_class = FulfilmentFilter

    def get_queryset(self) -> QuerySet[Fulfilment]:
        return selectors.list_fulfilments_for(self.request.user)

    def _fulfilment_to_move(self, pk: str) -> int:
        """The id of the fulfilment ``pk`` that the user may move on.

        :raises NotFoundError: no such fulfilment, or one the user may not see.
        :raises PermissionDeniedError: the user may see it (staff who may view fulfilments or
            orders) but is neither its store's owner nor holds ``manage_fulfilment``.
        """
        fulfilment_id = int(pk) if str(pk).isdigit() else None
        fulfilment = (
            selectors.get_visible_fulfilment(self.request.user, fulfilment_id)
            if fulfilment_id is not None
            else None
        )
        if fulfilment is None:
            raise NotFoundError()
        if not can_fulfil(fulfilment, self.request.user):
            raise PermissionDeniedError()
        return fulfilment.pk

    def _respond(self, request: Request, fulfilment_id: int) -> Response:
        fulfilment = selectors.list_visible_fulfilments(request.user).get(pk=fulfilment_id)
        return Response(FulfilmentSerializer(fulfilment, context={"request": request}).data)

    @extend_schema(
        request=None,
        responses={200: FulfilmentSerializer, **error_responses(_FULFILMENT_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def process(self, request: Request, pk: str) -> Response:
        fulfilment_id = self._fulfilment_to_move(pk)
        services.process_fulfilment(fulfilment_id=fulfilment_id, actor=request.user)
        return self._respond(request, fulfilment_id)

    @extend_schema(
        request=ShipSerializer,
        responses={
            200: FulfilmentSerializer,
            **error_responses({400: "invalid", **_FULFILMENT_ERRORS}),
        },
    )
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str) -> Response:
        fulfilment_id = self._fulfilment_to_move(pk)
        serializer = ShipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.ship_fulfilment(
            fulfilment_id=fulfilment_id,
            actor=request.user,
            tracking_number=serializer.validated_data["tracking_number"],
        )
        return self._respond(request, fulfilment_id)

    @extend_schema(
        request=CancelSerializer,
        responses={
            200: FulfilmentSerializer,
            **error_responses({400: "invalid", **_FULFILMENT_ERRORS}),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel this store's part before it ships: its lines are restocked and its share of the
        order refunded (or the ``refund`` staff choose); the last part cancelled cancels the
        order."""
        fulfilment_id = self._fulfilment_to_move(pk)
        currency = Fulfilment.objects.filter(pk=fulfilment_id).values_list(
            "order__currency", flat=True
        )[0]
        serializer = CancelSerializer(data=request.data, context={"currency": currency})
        serializer.is_valid(raise_exception=True)
        refund = serializer.validated_data.get("refund")
        if refund is not None and not selectors.may_refund(request.user):
            raise PermissionDeniedError()
        services.cancel_fulfilment(
            fulfilment_id=fulfilment_id,
            actor=request.user,
            note=serializer.validated_data["reason"],
            refund=refund,
        )
        return self._respond(request, fulfilment_id)

    @extend_schema(
        request=None,
        responses={200: FulfilmentSerializer, **error_responses(_FULFILMENT_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        fulfilment_id = self._fulfilment_to_move(pk)
        services.deliver_fulfilment(fulfilment_id=fulfilment_id, actor=request.user)
        return self._respond(request, fulfilment_id)
