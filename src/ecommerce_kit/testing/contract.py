"""The contract every payment gateway plugin must pass.

Subclass :class:`GatewayContract` in a test module of your gateway distribution, say how to make
your gateway succeed, decline and sign a webhook, and pytest (with pytest-django and a settings
module that installs the kit's apps) runs the whole suite against the kit's real services::

    import json

    from ecommerce_kit.testing.contract import GatewayContract

    from acme_pay import plugin
    from acme_pay.gateway import sign


    class TestAcmeContract(GatewayContract):
        plugin = plugin
        gateway_id = "acme"
        currency = "USD"

        def gateway_options(self):
            return {"api_key": "test", "webhook_secret": "whsec"}

        def payment_data(self, outcome):
            return {"success": {"card": "ok"}, "decline": {"card": "declined"}}.get(outcome)

        def webhook_request(self, *, payment, event_id, event_type, amount=None):
            amount = amount or payment.amount
            body = json.dumps(
                {
                    "id": event_id,
                    "type": event_type,
                    "payment": payment.reference,
                    "amount": str(amount.amount),
                    "currency": str(amount.currency),
                }
            ).encode()
            return body, {"Acme-Signature": sign(body, "whsec")}

What a subclass provides:

- :meth:`~GatewayContract.payment_data` for the outcomes ``"success"`` (required: an immediate
  gateway captures or authorizes; a redirect or reference gateway answers ``pending`` with its
  next action), ``"decline"``, ``"authorize"`` and, for an immediate gateway, ``"pending"``
  (return ``None`` when the gateway cannot do that: those tests are skipped);
- :meth:`~GatewayContract.webhook_request` for the event types ``payment.captured``,
  ``payment.failed`` and ``payment.refunded``, about the payment's whole amount or about
  ``amount`` (any :class:`~moneyed.Money`, also in another currency, zero or negative: the kit
  must refuse those). A ``webhook_request`` without the ``amount`` argument still works, but the
  tests that need another amount are then skipped. When the provider's refund events name the
  refund they report, ``webhook_request`` also takes ``idempotency_key`` (the key the refund was
  asked with) and/or ``movement_reference`` (the provider's id of the refund) and writes them
  where the provider does; without them, the tests of events about the kit's own refunds skip;
- optionally :meth:`~GatewayContract.refunds_at_provider`, when the gateway's test double can
  count the refunds it made, so that "a repeated key refunds once" is checked at the provider too.

What the suite checks, besides the plugin's registration and the gateway's description:

- payments through the kit's services: success, decline, pending payments completed or failed by
  webhooks (each applied once), refunds in part and in full, authorizations and pending payments
  voided when their order is cancelled;
- webhook parsing, for every gateway (also those whose payments complete at once):
  ``parse_webhook`` on the requests :meth:`~GatewayContract.webhook_request` builds gives the
  right ``type`` and ``event_id``, names the payment (``payment_id``, or ``reference`` when the
  provider does not echo the kit's id) and reports the asked ``amount`` as ``Money`` in the
  payment's currency (a part of it with minor units of its own, 249.97 of 1000.00, catches
  amounts read as whole numbers or in cents); a body with a byte changed or added, a missing
  signature, another request's signature, and a genuine request checked with another, an empty
  or no ``webhook_secret`` option raise :class:`~ecommerce_kit.exceptions.InvalidSignatureError`;
  an event in another currency, or for zero or a negative amount, is refused by the kit with
  nothing changed; a refund event naming a refund of the kit's (by key or provider reference)
  books nothing more, and settles one whose answer was lost;
- idempotency keys: ``create_payment``, ``capture`` and ``refund`` called again with the same
  ``idempotency_key`` return the first result (a refund answers the provider's reference of it,
  and a refund with a new key is another refund, with another reference);
  a capture or refund whose answer is lost (the provider acted, then the gateway raised
  :class:`~ecommerce_kit.exceptions.GatewayError`) stays ``unknown`` with its amount reserved,
  and :func:`~ecommerce_kit.payments.services.retry_open_entries` settles it with the same key,
  the provider answering with the movement it made the first time.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, ClassVar

import pytest
from django.utils.datastructures import CaseInsensitiveMapping
from moneyed import CurrencyDoesNotExist, Money, get_currency

from ecommerce_kit import plugins
from ecommerce_kit.exceptions import (
    GatewayError,
    InvalidInputError,
    InvalidSignatureError,
    PaymentDeclinedError,
)
from ecommerce_kit.money import decimal_places
from ecommerce_kit.payments.base import (
    FLOWS,
    CaptureResult,
    Flow,
    PaymentGateway,
    PaymentResult,
    RefundResult,
    WebhookEvent,
    WebhookEventType,
)
from ecommerce_kit.testing.factories import create_order

__all__ = ["GatewayContract"]

GATEWAY_ID = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
#: The event types :meth:`GatewayContract.webhook_request` is asked for.
EVENT_TYPES = (
    WebhookEventType.PAYMENT_CAPTURED,
    WebhookEventType.PAYMENT_FAILED,
    WebhookEventType.PAYMENT_REFUNDED,
)


@dataclasses.dataclass
class LostAnswers:
    """The calls made to a gateway method whose first answer the contract threw away."""

    calls: list[tuple[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [key for key, _result in self.calls]

    @property
    def results(self) -> list[Any]:
        return [result for _key, result in self.calls]


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
        self, *, payment: Any, event_id: str, event_type: str, amount: Money | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Return the body and headers the provider would send for ``event_type`` on ``payment``.

        :param payment: The :class:`~ecommerce_kit.payments.models.Payment` the event is about.
        :param event_id: The provider's id of the event.
        :param event_type: A :class:`~ecommerce_kit.payments.base.WebhookEventType` value.
        :param amount: What the event is about, as the provider would write it (it may be in
            another currency, zero or negative); ``None``: the payment's whole amount.
        :returns: The raw body and the headers, signed as the provider signs them.

        Add the optional keyword arguments ``idempotency_key`` and ``movement_reference`` when
        the provider's refund events name the refund they report: write them into the event
        as the provider would (the contract passes them for ``payment.refunded`` events).
        """
        raise NotImplementedError("Build a signed webhook request like the provider's.")

    def refunds_at_provider(self, *, payment: Any) -> int | None:
        """Return how many refunds of ``payment`` the provider (your test double) has made.

        Optional: the default ``None`` says the test double cannot tell, and the contract then
        relies on the references the gateway answers.
        """
        return None

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
    def options(self) -> dict[str, Any]:
        return dict(plugins.gateway_options(self.gateway_id))

    @pytest.fixture
    def order(self) -> Any:
        return create_order(total=self.amount, currency=self.currency)

    # --- Helpers ----------------------------------------------------------------------------

    def _require(self, outcome: str) -> dict[str, Any]:
        data = self.payment_data(outcome)
        if data is None:
            pytest.skip(f"The gateway cannot be made to reach {outcome!r}.")
        return data

    def _takes(self, name: str) -> bool:
        """Whether :meth:`webhook_request` accepts the keyword argument ``name``."""
        parameters = inspect.signature(self.webhook_request).parameters.values()
        return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)

    def _takes_amount(self) -> bool:
        return self._takes("amount")

    def _names_movements(self) -> bool:
        return self._takes("idempotency_key") or self._takes("movement_reference")

    def _request(
        self,
        payment: Any,
        event_id: str,
        event_type: str,
        amount: Money | None = None,
        **movement: str,
    ) -> tuple[bytes, CaseInsensitiveMapping[str]]:
        """Build a request with :meth:`webhook_request`; its headers are read case-insensitively,
        as Django's ``request.headers`` are."""
        kwargs: dict[str, Any] = {}
        if amount is not None:
            if not self._takes_amount():
                pytest.skip("webhook_request() takes no amount: events about other amounts.")
            kwargs["amount"] = amount
        if movement:
            if not self._names_movements():
                pytest.skip("webhook_request() takes no idempotency_key or movement_reference.")
            kwargs.update((name, value) for name, value in movement.items() if self._takes(name))
        body, headers = self.webhook_request(
            payment=payment, event_id=event_id, event_type=str(event_type), **kwargs
        )
        return body, CaseInsensitiveMapping(headers)

    def _deliver(
        self,
        payment: Any,
        event_id: str,
        event_type: str,
        amount: Money | None = None,
        **movement: str,
    ) -> str:
        from ecommerce_kit.payments.services import handle_webhook

        body, headers = self._request(payment, event_id, event_type, amount, **movement)
        return handle_webhook(gateway_id=self.gateway_id, body=body, headers=headers)

    def _start(self, order: Any, outcome: str) -> Any:
        from ecommerce_kit.payments.services import start_payment

        return start_payment(
            order=order,
            gateway_id=self.gateway_id,
            payment_data=self._require(outcome),
            actor=None,
        )

    def _captured_payment(self, order: Any) -> Any:
        """Start a payment that succeeds, and see it captured (by a webhook, or by the kit)."""
        from ecommerce_kit.payments.services import capture_payment

        payment = self._start(order, "success")
        if payment.status == "pending":
            self._deliver(payment, "contract-capture", WebhookEventType.PAYMENT_CAPTURED)
        elif payment.status == "authorized":
            capture_payment(payment_id=payment.pk, actor=None)
        payment.refresh_from_db()
        assert payment.status == "captured", f"the payment is {payment.status}, not captured"
        assert payment.captured == payment.amount
        return payment

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

    def _part(self, payment: Any) -> Money:
        """A part of the payment's amount with minor units of its own (249.97 of 1000.00), so
        that an amount read as a whole number, in cents or as the payment's is seen."""
        unit = Decimal(1).scaleb(-decimal_places(payment.currency))
        quarter = (payment.amount.amount / 4).quantize(unit, rounding=ROUND_DOWN)
        part = quarter - 3 * unit if quarter > 3 * unit else quarter
        return Money(part, payment.currency)

    def _other_currency(self, currency: str) -> str:
        return "USD" if currency != "USD" else "EUR"

    def _lose_first_answer(
        self, monkeypatch: pytest.MonkeyPatch, gateway: PaymentGateway, method: str
    ) -> LostAnswers:
        """Make ``gateway.<method>`` time out once: the provider gets the first call and acts,
        then the answer is lost (``GatewayError``); later calls answer as the gateway does."""
        real: Callable[..., Any] = getattr(gateway, method)
        lost = LostAnswers()

        def answer_lost_once(**kwargs: Any) -> Any:
            result = real(**kwargs)
            lost.calls.append((kwargs["idempotency_key"], result))
            if len(lost.calls) == 1:
                raise GatewayError("The answer was lost (a timeout made by the contract).")
            return result

        try:
            monkeypatch.setattr(gateway, method, answer_lost_once)
        except (AttributeError, TypeError):
            pytest.skip(f"The gateway object does not let its {method}() be wrapped.")
        return lost

    def _state(self, payment: Any) -> tuple[Any, ...]:
        """What a refused webhook must leave as it was."""
        from ecommerce_kit.orders.models import Order
        from ecommerce_kit.payments.models import LedgerEntry, Payment
        from ecommerce_kit.payments.models import WebhookEvent as WebhookEventRecord

        saved = Payment.objects.get(pk=payment.pk)
        return (
            saved.status,
            saved.authorized,
            saved.captured,
            saved.refunded,
            saved.refund_pending,
            saved.voided,
            Order.objects.get(pk=saved.order_id).status,
            list(
                LedgerEntry.objects.filter(payment=saved)
                .order_by("id")
                .values_list("kind", "state", "amount")
            ),
            WebhookEventRecord.objects.filter(payment=saved).count(),
        )

    def _check_event(
        self,
        event: Any,
        *,
        payment: Any,
        event_id: str,
        event_type: str,
        amount: Money,
        amount_optional: bool = False,
    ) -> None:
        assert isinstance(event, WebhookEvent), f"parse_webhook returned {event!r}"
        assert event.type == event_type, f"the event's type is {event.type!r}, not {event_type!r}"
        assert event.event_id == event_id, f"the event's id is {event.event_id!r}, not {event_id!r}"
        if event.payment_id is not None:
            assert event.payment_id == payment.pk, "the event names another payment"
        else:
            assert payment.reference, "the event names no payment id, and the payment no reference"
            assert event.reference == payment.reference, "the event names another payment"
        if event.amount is None and amount_optional:
            return
        assert isinstance(event.amount, Money), f"the amount {event.amount!r} is not Money"
        assert str(event.amount.currency) == payment.currency
        assert event.amount.amount == amount.amount, f"{event.amount!r} is not {amount!r}"

    # --- The gateway and its plugin ---------------------------------------------------------

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

    # --- Creating payments ------------------------------------------------------------------

    def test_create_payment_returns_a_frozen_result(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        from ecommerce_kit.payments.models import Payment

        payment = Payment.objects.create(
            order=order, gateway=gateway.id, currency=order.currency, amount=order.total
        )
        result = gateway.create_payment(
            payment=payment,
            payment_data=self._require("success"),
            idempotency_key=payment.idempotency_key,
            options=options,
        )
        assert isinstance(result, PaymentResult)
        assert dataclasses.is_dataclass(result)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.outcome = "captured"  # type: ignore[misc]
        assert isinstance(result.reference, str) and len(result.reference) <= 255

    def test_create_payment_with_a_repeated_key_returns_the_first_result(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        from ecommerce_kit.payments.models import Payment

        payment = Payment.objects.create(
            order=order, gateway=gateway.id, currency=order.currency, amount=order.total
        )
        data = self._require("success")
        key = payment.idempotency_key
        first = gateway.create_payment(
            payment=payment, payment_data=data, idempotency_key=key, options=options
        )
        again = gateway.create_payment(
            payment=payment, payment_data=data, idempotency_key=key, options=options
        )
        assert (again.outcome, again.reference, again.next_action) == (
            first.outcome,
            first.reference,
            first.next_action,
        )

    def test_success_pays_the_order(self, gateway: PaymentGateway, order: Any) -> None:
        payment = self._start(order, "success")
        order.refresh_from_db()
        if gateway.flow == Flow.IMMEDIATE:
            assert payment.status in ("captured", "authorized")
            held = payment.captured if payment.status == "captured" else payment.authorized
            assert held == payment.amount
            assert order.status == "confirmed"
        else:
            assert payment.status == "pending"
            assert payment.next_action is not None
            assert payment.next_action["type"] == gateway.flow
            assert order.status == "pending"
        assert payment.reference, "the gateway must give its reference of the payment"

    def test_decline_fails_the_payment(self, order: Any) -> None:
        from ecommerce_kit.payments.models import Payment

        with pytest.raises(PaymentDeclinedError):
            self._start(order, "decline")
        payment = Payment.objects.get(order=order)
        assert payment.status == "failed"
        assert payment.captured == payment.authorized == Money(0, payment.currency)

    # --- Webhooks: parsing ------------------------------------------------------------------

    @pytest.mark.parametrize("event_type", [str(t) for t in EVENT_TYPES])
    def test_parse_webhook_reads_the_event(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any], event_type: str
    ) -> None:
        payment = self._start(order, "success")
        body, headers = self._request(payment, "contract-parse", event_type)
        event = gateway.parse_webhook(body=body, headers=headers, options=options)
        self._check_event(
            event,
            payment=payment,
            event_id="contract-parse",
            event_type=event_type,
            amount=payment.amount,
            # A failure may say nothing of an amount; the kit reads none from it.
            amount_optional=event_type == WebhookEventType.PAYMENT_FAILED,
        )
        if event_type != WebhookEventType.PAYMENT_FAILED and self._takes_amount():
            part = self._part(payment)
            body, headers = self._request(payment, "contract-parse-part", event_type, part)
            event = gateway.parse_webhook(body=body, headers=headers, options=options)
            self._check_event(
                event,
                payment=payment,
                event_id="contract-parse-part",
                event_type=event_type,
                amount=part,
            )

    def test_parse_webhook_rejects_forged_requests(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        payment = self._start(order, "success")
        body, headers = self._request(payment, "contract-forged", "payment.captured")
        other_body, other_headers = self._request(payment, "contract-other", "payment.captured")
        middle = len(body) // 2
        forged = {
            "a changed last byte": (body[:-1] + (b" " if body[-1:] != b" " else b"\n"), headers),
            "a changed byte inside": (
                body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :],
                headers,
            ),
            "a byte added": (body + b" ", headers),
            "no signature": (body, CaseInsensitiveMapping({})),
        }
        if other_body != body:
            forged["another request's signature"] = (body, other_headers)
        for forgery, (forged_body, forged_headers) in forged.items():
            try:
                event = gateway.parse_webhook(
                    body=forged_body, headers=forged_headers, options=options
                )
            except InvalidSignatureError:
                continue
            except Exception as exc:
                pytest.fail(
                    f"a body with {forgery} raised {exc!r}, not InvalidSignatureError: "
                    "check the signature over the raw body before reading it"
                )
            pytest.fail(f"a body with {forgery} was accepted: {event!r}")

    def test_parse_webhook_checks_the_configured_secret(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        if "webhook_secret" not in options:
            pytest.skip(
                'The gateway keeps its webhook secret in another option than "webhook_secret".'
            )
        payment = self._start(order, "success")
        body, headers = self._request(payment, "contract-secret", "payment.captured")
        others = {
            "another secret": {
                **options,
                "webhook_secret": "not-the-" + str(options["webhook_secret"]),
            },
            "an empty secret": {**options, "webhook_secret": ""},
            "no secret": {k: v for k, v in options.items() if k != "webhook_secret"},
        }
        for configured, other_options in others.items():
            with pytest.raises(InvalidSignatureError):
                gateway.parse_webhook(body=body, headers=headers, options=other_options)
                pytest.fail(f"a request signed with the test secret passed with {configured}")

    # --- Webhooks: through the kit ----------------------------------------------------------

    def test_tampered_webhook_is_rejected(self, order: Any) -> None:
        from ecommerce_kit.payments.services import handle_webhook

        payment = self._captured_payment(order)
        before = self._state(payment)
        body, headers = self._request(payment, "contract-forged", "payment.refunded")
        tampered = body[:-1] + (b" " if body[-1:] != b" " else b"\n")
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id=self.gateway_id, body=tampered, headers=headers)
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id=self.gateway_id, body=body, headers={})
        assert self._state(payment) == before

    @pytest.mark.parametrize("event_type", ["payment.captured", "payment.refunded"])
    @pytest.mark.parametrize("wrong", ["another_currency", "zero", "negative"])
    def test_webhook_with_a_wrong_amount_is_refused(
        self, order: Any, event_type: str, wrong: str
    ) -> None:
        from ecommerce_kit.payments.services import handle_webhook

        payment = self._start(order, "success")
        amount = {
            "another_currency": Money(
                payment.amount.amount, self._other_currency(payment.currency)
            ),
            "zero": Money(0, payment.currency),
            "negative": Money(-1, payment.currency),
        }[wrong]
        body, headers = self._request(payment, "contract-wrong", event_type, amount)
        before = self._state(payment)
        with pytest.raises(InvalidInputError):
            handle_webhook(gateway_id=self.gateway_id, body=body, headers=headers)
        assert self._state(payment) == before

    def test_captured_webhook_is_applied_once(self, gateway: PaymentGateway, order: Any) -> None:
        payment = self._pending_payment(order, gateway)
        assert self._deliver(payment, "contract-capture", "payment.captured") == "captured"
        payment.refresh_from_db()
        order.refresh_from_db()
        assert payment.status == "captured" and order.status == "confirmed"
        assert payment.captured == payment.amount
        assert self._deliver(payment, "contract-capture", "payment.captured") == "duplicate"
        payment.refresh_from_db()
        assert payment.captured == payment.amount

    def test_failed_webhook_fails_a_pending_payment(
        self, gateway: PaymentGateway, order: Any
    ) -> None:
        payment = self._pending_payment(order, gateway)
        assert self._deliver(payment, "contract-fail", "payment.failed") == "failed"
        payment.refresh_from_db()
        order.refresh_from_db()
        assert payment.status == "failed" and order.status == "pending"

    def test_refunded_webhook_is_applied_once(self, order: Any) -> None:
        payment = self._captured_payment(order)
        zero = Money(0, payment.currency)
        first = self._part(payment) if self._takes_amount() else None
        outcome = self._deliver(payment, "contract-refund", "payment.refunded", first)
        assert outcome == "refunded", f"the refund event was {outcome!r}"
        outcome = self._deliver(payment, "contract-refund", "payment.refunded", first)
        assert outcome == "duplicate", f"the repeated refund event was {outcome!r}"
        payment.refresh_from_db()
        if first is not None:
            assert (payment.status, payment.refunded) == ("partially_refunded", first), (
                f"a refund event of {first!r} left the payment {payment.status} with "
                f"{payment.refunded!r} refunded"
            )
            rest = payment.captured - first
            outcome = self._deliver(payment, "contract-refund-rest", "payment.refunded", rest)
            assert outcome == "refunded", f"the refund event was {outcome!r}"
            payment.refresh_from_db()
        assert payment.status == "refunded"
        assert payment.refunded == payment.captured and payment.refund_pending == zero

    def test_parse_webhook_names_the_refund(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        payment = self._start(order, "success")
        key, reference = "contract-refund-key", "contract-refund-ref"
        body, headers = self._request(
            payment,
            "contract-named",
            WebhookEventType.PAYMENT_REFUNDED,
            self._part(payment),
            idempotency_key=key,
            movement_reference=reference,
        )
        event = gateway.parse_webhook(body=body, headers=headers, options=options)
        self._check_event(
            event,
            payment=payment,
            event_id="contract-named",
            event_type=WebhookEventType.PAYMENT_REFUNDED,
            amount=self._part(payment),
        )
        named = {"idempotency_key": key, "movement_reference": reference}
        for name, value in named.items():
            if self._takes(name):
                assert getattr(event, name) == value, f"the event's {name} is not {value!r}"
            else:
                assert getattr(event, name) in ("", value), f"the event's {name} is made up"

    def test_refunded_webhook_about_the_kits_refund_is_booked_once(self, order: Any) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order

        if not self._names_movements():
            pytest.skip("webhook_request() takes no idempotency_key or movement_reference.")
        payment = self._captured_payment(order)
        part = self._part(payment)
        refund_order(order=order, amount=part, actor=None)
        entry = LedgerEntry.objects.get(payment=payment, kind="refund")
        assert entry.state == "succeeded"
        outcome = self._deliver(
            payment,
            "contract-our-refund",
            WebhookEventType.PAYMENT_REFUNDED,
            part,
            idempotency_key=str(entry.idempotency_key),
            movement_reference=entry.reference,
        )
        assert outcome.startswith("duplicate"), f"the refund was booked again: {outcome}"
        payment.refresh_from_db()
        assert payment.refunded == part and payment.status == "partially_refunded"
        assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 1

    def test_refunded_webhook_settles_a_refund_that_timed_out(
        self, gateway: PaymentGateway, order: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order, retry_open_entries

        if not self._names_movements():
            pytest.skip("webhook_request() takes no idempotency_key or movement_reference.")
        payment = self._captured_payment(order)
        part = self._part(payment)
        lost = self._lose_first_answer(monkeypatch, gateway, "refund")
        with pytest.raises(GatewayError):
            refund_order(order=order, amount=part, actor=None)
        entry = LedgerEntry.objects.get(payment=payment, kind="refund")
        assert entry.state == "unknown"
        made = lost.results[0]
        outcome = self._deliver(
            payment,
            "contract-late-answer",
            WebhookEventType.PAYMENT_REFUNDED,
            part,
            idempotency_key=str(entry.idempotency_key),
            movement_reference=made.reference,
        )
        assert outcome == f"refund {entry.pk} settled", f"the event did not settle it: {outcome!r}"
        assert retry_open_entries(older_than=timedelta(0)) == 0, "the settled refund was retried"
        entry.refresh_from_db()
        payment.refresh_from_db()
        assert entry.state == "succeeded" and payment.refunded == part
        assert payment.refund_pending == Money(0, payment.currency)
        assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 1
        assert self.refunds_at_provider(payment=payment) in (None, 1)

    # --- Refunds ----------------------------------------------------------------------------

    def test_refunds_partially_then_fully(self, order: Any) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order

        payment = self._captured_payment(order)
        zero = Money(0, payment.currency)
        part = self._part(payment)
        refund_order(order=order, amount=part, actor=None)
        payment.refresh_from_db()
        assert payment.status == "partially_refunded" and payment.refunded == part
        assert payment.refund_pending == zero
        refund_order(order=order, amount=None, actor=None)
        payment.refresh_from_db()
        assert payment.status == "refunded" and payment.refunded == payment.captured
        assert payment.refund_pending == zero
        refunds = LedgerEntry.objects.filter(payment=payment, kind="refund")
        assert [e.state for e in refunds] == ["succeeded", "succeeded"]
        references = [e.reference for e in refunds if e.reference]
        assert len(set(references)) == len(references), "two refunds answered one reference"

    def test_repeated_refund_key_refunds_once(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        from ecommerce_kit.payments.models import new_key

        payment = self._captured_payment(order)
        part, key = self._part(payment), new_key()
        first = gateway.refund(payment=payment, amount=part, idempotency_key=key, options=options)
        again = gateway.refund(payment=payment, amount=part, idempotency_key=key, options=options)
        assert isinstance(first, RefundResult) and first.ok, first
        assert isinstance(again, RefundResult) and again.ok, again
        assert first.reference, "a refund needs the provider's reference (each refund its own)"
        assert again.reference == first.reference, "a repeated key made another refund"
        counted = self.refunds_at_provider(payment=payment)
        assert counted in (None, 1), f"the provider made {counted} refunds for one key"
        other = gateway.refund(
            payment=payment, amount=part, idempotency_key=new_key(), options=options
        )
        assert isinstance(other, RefundResult) and other.ok, other
        assert other.reference != first.reference, "two refunds answered one reference"
        assert self.refunds_at_provider(payment=payment) in (None, 2)

    def test_refund_that_timed_out_is_retried_with_the_same_key(
        self, gateway: PaymentGateway, order: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import refund_order, retry_open_entries

        payment = self._captured_payment(order)
        zero, part = Money(0, payment.currency), self._part(payment)
        lost = self._lose_first_answer(monkeypatch, gateway, "refund")
        with pytest.raises(GatewayError):
            refund_order(order=order, amount=part, actor=None)
        entry = LedgerEntry.objects.get(payment=payment, kind="refund")
        payment.refresh_from_db()
        assert entry.state == "unknown"
        assert payment.refund_pending == part and payment.refunded == zero
        assert payment.status == "captured"

        assert retry_open_entries(older_than=timedelta(0)) == 1
        entry.refresh_from_db()
        payment.refresh_from_db()
        assert lost.keys == [entry.idempotency_key] * 2, "the retry must send the same key"
        first, again = lost.results
        assert isinstance(again, RefundResult) and again.ok, again
        assert again.reference == first.reference, "the retry made another refund"
        assert entry.state == "succeeded" and entry.reference == again.reference
        assert payment.refunded == part and payment.refund_pending == zero
        assert payment.status == "partially_refunded"
        assert self.refunds_at_provider(payment=payment) in (None, 1)

    # --- Authorizations, captures and voids -------------------------------------------------

    def test_repeated_capture_key_captures_once(
        self, gateway: PaymentGateway, order: Any, options: dict[str, Any]
    ) -> None:
        from ecommerce_kit.payments.models import new_key

        payment = self._start(order, "authorize")
        assert payment.status == "authorized"
        amount, key = payment.amount, new_key()
        first = gateway.capture(
            payment=payment, amount=amount, idempotency_key=key, options=options
        )
        again = gateway.capture(
            payment=payment, amount=amount, idempotency_key=key, options=options
        )
        assert isinstance(first, CaptureResult) and first.ok, first
        assert isinstance(again, CaptureResult)
        assert (again.ok, again.reference, again.amount) == (True, first.reference, first.amount)

    def test_capture_that_timed_out_is_retried_with_the_same_key(
        self, gateway: PaymentGateway, order: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import capture_payment, retry_open_entries

        payment = self._start(order, "authorize")
        assert payment.status == "authorized"
        lost = self._lose_first_answer(monkeypatch, gateway, "capture")
        with pytest.raises(GatewayError):
            capture_payment(payment_id=payment.pk, actor=None)
        entry = LedgerEntry.objects.get(payment=payment, kind="capture")
        payment.refresh_from_db()
        assert entry.state == "unknown"
        assert payment.status == "authorized" and payment.captured == Money(0, payment.currency)

        assert retry_open_entries(older_than=timedelta(0)) == 1
        entry.refresh_from_db()
        payment.refresh_from_db()
        assert lost.keys == [entry.idempotency_key] * 2, "the retry must send the same key"
        first, again = lost.results
        assert isinstance(again, CaptureResult) and again.ok, again
        assert (again.reference, again.amount) == (first.reference, first.amount)
        assert entry.state == "succeeded"
        assert payment.status == "captured" and payment.captured == payment.amount

    def test_authorization_is_voided_when_the_order_is_cancelled(
        self, order: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        from ecommerce_kit.orders.services import cancel_order
        from ecommerce_kit.payments.models import LedgerEntry
        from ecommerce_kit.payments.services import release_order_payments

        payment = self._start(order, "authorize")
        assert payment.status == "authorized"
        with django_capture_on_commit_callbacks(execute=True):
            cancel_order(order_id=order.pk, actor=None, note="contract")
        payment.refresh_from_db()
        assert payment.status == "voided" and payment.voided == payment.amount
        assert payment.authorized == Money(0, payment.currency)
        release_order_payments(order=order, actor=None)
        assert LedgerEntry.objects.filter(payment=payment, kind="void").count() == 1

    def test_pending_payment_is_voided_when_the_order_is_cancelled(
        self, gateway: PaymentGateway, order: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        from ecommerce_kit.orders.services import cancel_order

        payment = self._pending_payment(order, gateway)
        with django_capture_on_commit_callbacks(execute=True):
            cancel_order(order_id=order.pk, actor=None, note="contract")
        payment.refresh_from_db()
        assert payment.status == "voided" and payment.voided == payment.amount
