"""The payment gateway interface: a :class:`typing.Protocol` and the typed results it returns.

A gateway is any object with the attributes and methods of :class:`PaymentGateway`, offered to the
kit by a plugin's ``register_payment_gateways`` hook. The kit records first (a :class:`Payment`, or
a ``requested`` ledger entry), then calls the gateway outside any database transaction, then
applies the answer; a gateway therefore never touches the database itself.

Every call carries ``idempotency_key``: the kit's key of that request. A call that timed out is
repeated with the same key until the provider answers, so the gateway must send the key to its
provider (most take an ``Idempotency-Key`` header) and a repeated key must return the first
result, never move money twice.

Gateways report what happened with the frozen dataclasses below. They raise
:class:`~ecommerce_kit.exceptions.GatewayError` when the provider cannot be reached or fails
(never for a decline, which is a :class:`PaymentResult` with ``outcome="declined"``), and
:class:`~ecommerce_kit.exceptions.InvalidSignatureError` from :meth:`PaymentGateway.parse_webhook`
when a webhook is not authentic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from moneyed import Money

    from ecommerce_kit.payments.models import Payment

__all__ = [
    "FLOWS",
    "CaptureResult",
    "Flow",
    "NextAction",
    "Outcome",
    "PaymentGateway",
    "PaymentResult",
    "RefundResult",
    "VoidResult",
    "WebhookEvent",
    "WebhookEventType",
]


class Flow(StrEnum):
    """How a buyer completes a payment with a gateway."""

    IMMEDIATE = "immediate"
    """The answer comes at once (cards, wallets)."""
    REDIRECT = "redirect"
    """The buyer is sent to the provider's page (``next_action.type == "redirect"``)."""
    REFERENCE = "reference"
    """The buyer pays a reference later, e.g. at an ATM (``next_action.type == "reference"``)."""


FLOWS: tuple[str, ...] = tuple(f.value for f in Flow)


class Outcome(StrEnum):
    """What :meth:`PaymentGateway.create_payment` achieved."""

    CAPTURED = "captured"
    AUTHORIZED = "authorized"
    PENDING = "pending"
    DECLINED = "declined"


class WebhookEventType(StrEnum):
    """The event types the kit applies; other types are acknowledged and ignored."""

    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_VOIDED = "payment.voided"


@dataclass(frozen=True)
class NextAction:
    """What the buyer must do to complete a pending payment.

    ``type="redirect"`` needs ``url``; ``type="reference"`` needs ``entity``, ``reference`` and
    ``expires_at`` (an ISO 8601 timestamp with time zone).
    """

    type: str
    url: str | None = None
    entity: str | None = None
    reference: str | None = None
    expires_at: str | None = None

    def __post_init__(self) -> None:
        if self.type == "redirect":
            if not self.url:
                raise ValueError("A redirect next action needs a url.")
        elif self.type == "reference":
            if not (self.entity and self.reference and self.expires_at):
                raise ValueError("A reference next action needs entity, reference and expires_at.")
        else:
            raise ValueError(f"Unknown next action type {self.type!r}.")

    def as_dict(self) -> dict[str, str]:
        """Return the JSON shape of the API (``{"type": "redirect", "url": ...}``)."""
        if self.type == "redirect":
            return {"type": "redirect", "url": str(self.url)}
        return {
            "type": "reference",
            "entity": str(self.entity),
            "reference": str(self.reference),
            "expires_at": str(self.expires_at),
        }


@dataclass(frozen=True)
class PaymentResult:
    """The answer to :meth:`PaymentGateway.create_payment`.

    :param outcome: One of :class:`Outcome`.
    :param reference: The provider's identifier of the payment (unique per gateway).
    :param next_action: For a ``pending`` outcome: what the buyer must do next.
    :param message: A human-readable reason, e.g. why it was declined.
    :param captured: For ``captured``: the amount taken, when not the payment's whole amount (in
        the payment's currency, above zero). Less than the order's total does not pay the order.
    :param authorized: For ``authorized``: the amount reserved, when not the payment's whole amount.
    """

    outcome: str
    reference: str = ""
    next_action: NextAction | None = None
    message: str = ""
    captured: Money | None = None
    authorized: Money | None = None

    def __post_init__(self) -> None:
        if self.outcome not in {o.value for o in Outcome}:
            raise ValueError(f"Unknown payment outcome {self.outcome!r}.")


@dataclass(frozen=True)
class CaptureResult:
    """The answer to :meth:`PaymentGateway.capture`.

    :param ok: ``False`` when the provider refused (nothing was captured).
    :param reference: The provider's identifier of this capture.
    :param message: Why it was refused.
    :param amount: The amount captured when it is not the amount asked for (in the payment's
        currency, above zero); ``None`` means all of it.
    """

    ok: bool
    reference: str = ""
    message: str = ""
    amount: Money | None = None


@dataclass(frozen=True)
class RefundResult:
    """The answer to :meth:`PaymentGateway.refund`.

    :param ok: ``False`` when the provider refused (nothing was refunded).
    :param reference: The provider's identifier of this refund; a webhook event reporting the
        refund may name it (or the kit's ``idempotency_key``) so that it is booked once.
    :param message: Why it was refused.
    """

    ok: bool
    reference: str = ""
    message: str = ""


@dataclass(frozen=True)
class VoidResult:
    """The answer to :meth:`PaymentGateway.void`.

    :param ok: ``False`` when the provider refused (the authorization still holds).
    :param reference: The provider's identifier of the void, if it has one.
    :param message: Why it was refused.
    """

    ok: bool
    reference: str = ""
    message: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """An authentic event parsed from a webhook request.

    :param event_id: The provider's unique id of the event; repeats of it are applied once.
    :param type: One of :class:`WebhookEventType` (other values are acknowledged and ignored).
    :param payment_id: The kit's payment id, when the provider echoes it back.
    :param reference: The provider's payment reference (used when ``payment_id`` is ``None``).
    :param amount: The amount the event is about (authorized, captured, refunded or voided) as
        :class:`moneyed.Money`, if the provider says; ``None`` means the payment's whole amount
        (for a refund: all that is left to refund).
    :param idempotency_key: The kit's key of the capture, refund or void the event reports, when
        the provider echoes it back: the event then settles that request, booked once.
    :param movement_reference: The provider's own identifier of the capture or refund reported
        (a second partial capture or refund must have its own). A refund event naming neither
        this nor ``idempotency_key`` is a refund made at the provider, booked once by its
        ``event_id``; a capture event naming neither is the payment's capture, booked once.
    :param payload: The parsed body, kept on the stored
        :class:`~ecommerce_kit.payments.models.WebhookEvent` row (leave secrets out).
    """

    event_id: str
    type: str
    payment_id: int | None = None
    reference: str = ""
    amount: Money | None = None
    idempotency_key: str = ""
    movement_reference: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.event_id:
            raise ValueError("A webhook event needs an event_id.")
        if self.payment_id is None and not self.reference:
            raise ValueError("A webhook event needs a payment_id or a reference.")


@runtime_checkable
class PaymentGateway(Protocol):
    """What a payment gateway plugin provides.

    ``options`` is always the gateway's dict from ``ECOMMERCE_KIT["PAYMENT_GATEWAYS"][id]``
    (API keys, ``webhook_secret``, ``currencies``, anything the gateway documents).
    """

    id: str
    """Unique identifier, used in ``payment_method`` and in the webhook URL."""
    name: str
    """Human-readable name shown to buyers."""
    flow: str
    """One of :data:`FLOWS`."""
    currencies: tuple[str, ...]
    """The ISO 4217 codes the provider accepts; empty for any."""

    def create_payment(
        self,
        *,
        payment: Payment,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        """Ask the provider to take ``payment.amount`` for ``payment.order``.

        :param payment: The recorded, ``pending`` payment.
        :param payment_data: What the buyer sent as ``payment_data`` (tokens, phone numbers, ...).
        :param idempotency_key: The kit's key of this payment (``payment.idempotency_key``).
        :param options: The gateway's configuration.
        :returns: What happened; a decline is ``outcome="declined"``.
        :raises GatewayError: when the provider could not be reached or failed.
        """
        ...

    def capture(
        self, *, payment: Payment, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> CaptureResult:
        """Capture ``amount`` of an ``authorized`` payment.

        :param idempotency_key: The kit's key of this capture; the same key is sent again when a
            call timed out, and must not capture twice.
        :raises GatewayError: when the provider could not be reached or failed (the outcome is
            then unknown: the kit calls again later with the same key).
        """
        ...

    def refund(
        self, *, payment: Payment, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        """Give back ``amount`` of a captured payment.

        :param idempotency_key: The kit's key of this refund; the same key is sent again when a
            call timed out, and must not refund twice.
        :raises GatewayError: when the provider could not be reached or failed (the outcome is
            then unknown: the kit calls again later with the same key).
        """
        ...

    def void(
        self, *, payment: Payment, idempotency_key: str, options: Mapping[str, Any]
    ) -> VoidResult:
        """Release a payment without taking the money: an ``authorized`` one, or a ``pending`` one
        the buyer could still complete (a reference or mobile payment whose order timed out).

        :param idempotency_key: The kit's key of this void.
        :raises GatewayError: when the provider could not be reached or failed (the outcome is
            then unknown: the kit calls again later with the same key).
        """
        ...

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        """Verify a webhook request, then parse it.

        The signature is checked over the raw ``body`` before anything in it is read.

        :param headers: The request headers (case-insensitive).
        :raises InvalidSignatureError: when the signature is missing or wrong.
        :raises InvalidInputError: when an authentic body cannot be understood.
        """
        ...
