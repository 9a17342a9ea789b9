"""The contract every payment gateway plugin must pass.

Subclass :class:`GatewayContract` in a test module of your gateway distribution, say how to make
your gateway succeed, decline and sign a webhook, and pytest (with pytest-django and a settings
module that installs the kit's apps) runs the whole suite against the kit's real services::

    from ecommerce_kit.testing.contract import GatewayContract

    import acme_pay.plugin


    class TestAcmeContract(GatewayContract):
        plugin = acme_pay.plugin
        gateway_id = "acme"
        currency = "AOA"

        def gateway_options(self):
            return {"api_key": "test", "webhook_secret": "whsec"}

        def payment_data(self, outcome):
            return {"success": {"card": "ok"}, "decline": {"card": "declined"}}.get(outcome)

        def webhook_request(self, *, payment, event_id, event_type):
            body = ...  # what your provider would send for ``payment``
            return body, {"X-Acme-Signature": ...}

Outcomes asked of :meth:`GatewayContract.payment_data`: ``"success"`` (required: an immediate
gateway captures or authorizes; a redirect or reference gateway answers ``pending`` with its next
action), ``"decline"``, ``"authorize"`` and, for an immediate gateway, ``"pending"`` (return
``None`` when the gateway cannot do that: those tests are skipped).
Event types asked of :meth:`GatewayContract.webhook_request` are those of
:class:`~ecommerce_kit.payments.base.WebhookEventType`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from moneyed import CurrencyDoesNotExist, Money, get_currency

from ecommerce_kit import plugins
from ecommerce_kit.exceptions import InvalidSignatureError, PaymentDeclinedError
from ecommerce_kit.payments.base import FLOWS, Flow, PaymentGateway, PaymentResult
from ecommerce_kit.testing.factories import create_order

__all__ = ["GatewayContract"]

GATEWAY_ID = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class GatewayContract:
    """Base class of a gateway's contract tests; see the module documentation."""

    #: The module (or object) holding the ``register_payment_gateways`` hook implementation.
    plugin: ClassVar[Any]
    #: The id of the gateway under test.
    gateway_id: ClassVar[str]
    #: A currency the gateway accepts.
    currency: ClassVar[str] = "AOA"
    #: The order total used by the tests.
    amount: ClassVar[str] = "1000.00"

    # --- What a subclass provides -----------------------------------------------------------

    def gateway_options(self) -> dict[str, Any]:
        """Return the gateway's ``ECOMMERCE_KIT["PAYMENT_GATEWAYS"]`` entry for the tests."""
        return {}

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        """Return ``payment_data`` that makes the gateway reach ``outcome`` (or ``None``)."""
        raise NotImplementedError("Return the payment_data for each outcome.")

    def webhook_request(
        self, *, payment: Any, event_id: str, event_type: str
    ) -> tuple[bytes, dict[str, str]]:
        """Return the body and headers the provider would send for ``event_type`` on ``payment``.

        The event is about the payment's full amount.
        """
        raise NotImplementedError("Build a signed webhook request like the provider's.")

    # --- Fixtures ---------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _contract_environment(
        self, settings: Any, monkeypatch: pytest.MonkeyPatch, db: Any
    ) -> Iterator[None]:
        monkeypatch.setenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD", "1")
        plugins.get_plugin_manager.cache_clear()
        pm = plugins.get_plugin_manager()
        if not pm.is_registered(self.plugin):
            pm.register(self.plugin, name=f"contract-{self.gateway_id}")
        kit = dict(getattr(settings, "ECOMMERCE_KIT", {}) or {})
        kit["PAYMENT_GATEWAYS"] = {self.gateway_id: self.gateway_options()}
        currencies = list(kit.get("CURRENCIES") or ["AOA", "USD", "EUR"])
        if self.currency not in currencies:
            currencies.append(self.currency)
        kit["CURRENCIES"] = currencies
        settings.ECOMMERCE_KIT = kit
        yield
        plugins.get_plugin_manager.cache_clear()

    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        return plugins.get_gateway(self.gateway_id)

    @pytest.fixture
    def order(self) -> Any:
        return create_order(total=self.amount, currency=self.currency)

    # --- Helpers ----------------------------------------------------------------------------

    def _require(self, outcome: str) -> dict[str, Any]:
        data = self.payment_data(outcome)
        if data is None:
            pytest.skip(f"The gateway cannot be made to reach {outcome!r}.")
        return data

    def _deliver(self, payment: Any, event_id: str, event_type: str) -> str:
        from ecommerce_kit.payments.services import handle_webhook

        body, headers = self.webhook_request(
            payment=payment, event_id=event_id, event_type=event_type
        )
        return handle_webhook(gateway_id=self.gateway_id, body=body, headers=headers)

    def _paid_payment(self, order: Any, gateway: PaymentGateway) -> Any:
        from ecommerce_kit.payments.services import start_payment

        payment = start_payment(
            order=order,
            gateway_id=self.gateway_id,
            payment_data=self._require("success"),
            actor=None,
        )
        if payment.status == "pending":
            self._deliver(payment, "contract-capture", "payment.captured")
            payment.refresh_from_db()
        return payment

    # --- The contract -----------------------------------------------------------------------

    def test_plugin_offers_the_gateway(self) -> None:
        assert self.gateway_id in plugins.registered_gateways()

    def test_gateway_describes_itself(self, gateway: PaymentGateway) -> None:
        assert gateway.id == self.gateway_id and GATEWAY_ID.match(gateway.id)
        assert isinstance(gateway.name, str) and gateway.name.strip()
        assert gateway.flow in FLOWS
        assert isinstance(gateway.currencies, tuple)
        for code in gateway.currencies:
            try:
                get_currency(code)
            except CurrencyDoesNotExist:
                pytest.fail(f"{code!r} is not an ISO 4217 currency code")
        assert self.currency in plugins.gateway_currencies(gateway)

    def test_gateway_is_listed_as_payment_method(self) -> None:
        assert self.gateway_id in [g.id for g in plugins.list_gateways(currency=self.currency)]

    def test_create_payment_returns_a_frozen_result(
        self, gateway: PaymentGateway, order: Any
    ) -> None:
        from ecommerce_kit.payments.models import Payment

        payment = Payment.objects.create(
            order=order,
            gateway=gateway.id,
            currency=order.currency,
            amount=order.total,
            captured=Money(0, order.currency),
            refunded=Money(0, order.currency),
        )
        result = gateway.create_payment(
            payment=payment,
            payment_data=self._require("success"),
            options=plugins.gateway_options(gateway.id),
        )
        assert isinstance(result, PaymentResult)
        assert dataclasses.is_dataclass(result)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.outcome = "captured"  # type: ignore[misc]
        assert isinstance(result.reference, str) and len(result.reference) <= 255

    def test_success_pays_the_order(self, gateway: PaymentGateway, order: Any) -> None:
        from ecommerce_kit.payments.services import start_payment

        payment = start_payment(
            order=order,
            gateway_id=self.gateway_id,
            payment_data=self._require("success"),
            actor=None,
        )
        order.refresh_from_db()
        if gateway.flow == Flow.IMMEDIATE:
            assert payment.status in ("captured", "authorized")
            assert order.status == "confirmed"
        else:
            assert payment.status == "pending"
            assert payment.next_action is not None
            assert payment.next_action["type"] == gateway.flow
            assert order.status == "pending"
        assert payment.reference, "the gateway must give its reference of the payment"

    def test_decline_fails_the_payment(self, order: Any) -> None:
        from ecommerce_kit.payments.models import Payment
        from ecommerce_kit.payments.services import start_payment

        with pytest.raises(PaymentDeclinedError):
            start_payment(
                order=order,
                gateway_id=self.gateway_id,
                payment_data=self._require("decline"),
                actor=None,
            )
        assert Payment.objects.get(order=order).status == "failed"

    def _pending_payment(self, order: Any, gateway: PaymentGateway) -> Any:
        from ecommerce_kit.payments.services import start_payment

        if gateway.flow == Flow.IMMEDIATE:
            data = self.payment_data("pending")
            if data is None:
                pytest.skip("The gateway cannot leave a payment pending.")
        else:
            data = self._require("success")
        payment = start_payment(
            order=order, gateway_id=self.gateway_id, payment_data=data, actor=None
        )
        assert payment.status == "pending"
        return payment

    def test_captured_webhook_is_applied_once(self, gateway: PaymentGateway, order: Any) -> None:
        payment = self._pending_payment(order, gateway)
        assert self._deliver(payment, "contract-capture", "payment.captured") == "captured"
        payment.refresh_from_db()
        order.refresh_from_db()
        assert payment.status == "captured" and order.status == "confirmed"
        assert payment.captured == payment.amount
        assert self._deliver(payment, "contract-capture", "payment.captured") == "duplicate"

    def test_failed_webhook_fails_a_pending_payment(
        self, gateway: PaymentGateway, order: Any
    ) -> None:
        payment = self._pending_payment(order, gateway)
        assert self._deliver(payment, "contract-fail", "payment.failed") == "failed"
        payment.refresh_from_db()
        order.refresh_from_db()
        assert payment.status == "failed" and order.status == "pending"

    def test_tampered_webhook_is_rejected(self, gateway: PaymentGateway, order: Any) -> None:
        from ecommerce_kit.payments.services import handle_webhook

        payment = self._paid_payment(order, gateway)
        body, headers = self.webhook_request(
            payment=payment, event_id="contract-forged", event_type="payment.refunded"
        )
        tampered = body[:-1] + (b" " if body[-1:] != b" " else b"\n")
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id=self.gateway_id, body=tampered, headers=headers)
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id=self.gateway_id, body=body, headers={})
        payment.refresh_from_db()
        assert payment.refunded == Money(0, payment.currency)

    def test_refunds_partially_then_fully(self, gateway: PaymentGateway, order: Any) -> None:
        from ecommerce_kit.payments.services import refund_order

        payment = self._paid_payment(order, gateway)
        if payment.status != "captured":
            pytest.skip("The success outcome authorizes only.")
        part = Money((payment.captured.amount / 4).quantize(Decimal("0.01")), payment.currency)
        refund_order(order=order, amount=part, actor=None)
        payment.refresh_from_db()
        assert payment.status == "partially_refunded" and payment.refunded == part
        refund_order(order=order, amount=None, actor=None)
        payment.refresh_from_db()
        assert payment.status == "refunded" and payment.refunded == payment.captured

    def test_authorization_is_voided_when_the_order_is_released(self, order: Any) -> None:
        from ecommerce_kit.payments.services import release_order_payments, start_payment

        payment = start_payment(
            order=order,
            gateway_id=self.gateway_id,
            payment_data=self._require("authorize"),
            actor=None,
        )
        assert payment.status == "authorized"
        release_order_payments(order=order, actor=None)
        payment.refresh_from_db()
        assert payment.status == "voided"
