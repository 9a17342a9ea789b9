"""A demo payment by reference, as Multicaixa's ATM references work, for the example site.

``demo_reference`` answers every payment ``pending`` with a reference to pay (an entity, a
nine-digit reference and an expiry, ``options["expires_in_hours"]`` from now, 48 by default)
and never calls anyone: the "provider" is whoever sends its webhook. Webhooks, captures, refunds
and voids work exactly as the built-in ``dummy`` gateway's (``X-Dummy-Signature`` over the raw
body with this gateway's own ``webhook_secret``; see ``docs/payments.md``)::

    POST /api/v1/payments/webhooks/demo_reference/
    {"event_id": "evt-1", "payment_id": "ref_900000041", "type": "payment.captured",
     "amount": {"amount": "15000.00", "currency": "AOA"}}

``payment_id`` is the payment's id in the kit or, as a real provider would send it, the reference
the buyer paid prefixed with ``ref_`` (:func:`provider_reference`).

Listed in the example's ``ECOMMERCE_KIT["PLUGINS"]`` and configured in its ``PAYMENT_GATEWAYS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ecommerce_kit import hookimpl
from ecommerce_kit.payments.base import Flow, NextAction, Outcome, PaymentResult
from ecommerce_kit.payments.dummy import DummyGateway

if TYPE_CHECKING:
    from ecommerce_kit.payments.models import Payment

#: The entity shown to the buyer (a demo number: no bank knows it).
ENTITY = "99999"
DEFAULT_EXPIRY_HOURS = 48


def reference_for(payment_id: int) -> str:
    """A nine-digit reference unique to the payment, grouped in threes: ``900 000 041``."""
    digits = f"{900_000_000 + payment_id % 100_000_000:09d}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def provider_reference(reference: str) -> str:
    """The payment's reference at the "provider", from the one the buyer is shown:
    ``ref_900000041``. A webhook names the payment by it (``"payment_id": "ref_900000041"``)."""
    return "ref_" + reference.replace(" ", "")


class DemoReferenceGateway(DummyGateway):
    """Pay by reference (entity, reference, expiry); completed by a signed webhook."""

    id = "demo_reference"
    name = "Payment by reference (demo)"
    flow = Flow.REFERENCE
    currencies = ("AOA",)

    def create_payment(
        self,
        *,
        payment: Payment,
        payment_data: Mapping[str, Any],
        idempotency_key: str,
        options: Mapping[str, Any],
    ) -> PaymentResult:
        hours = options.get("expires_in_hours", DEFAULT_EXPIRY_HOURS)
        expires_at = timezone.now() + timedelta(hours=float(hours))
        reference = reference_for(payment.pk)
        return PaymentResult(
            outcome=Outcome.PENDING,
            reference=provider_reference(reference),
            next_action=NextAction(
                type="reference",
                entity=str(options.get("entity", ENTITY)),
                reference=reference,
                expires_at=expires_at.replace(microsecond=0).isoformat(),
            ),
        )


gateway = DemoReferenceGateway()


@hookimpl
def register_payment_gateways() -> list[DemoReferenceGateway]:
    return [gateway]
