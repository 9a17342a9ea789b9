"""The gateway contract fails every deliberately broken gateway, each in the tests it should.

Each broken gateway below is the built-in dummy gateway with one mistake a gateway author could
make. Their contracts run in one pytest subprocess (with its own SQLite test database), next to
a control: the same dummy, unbroken, which must pass. A test per kind of mistake then names the
contract tests that caught it.

The broken gateways complete their payments at once and cannot leave one pending, so no
webhook reaches the kit on the way to a paid order: only the contract's own checks of
``parse_webhook``, its signature and its refunds can catch them.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.exceptions import InvalidSignatureError
from ecommerce_kit.payments import dummy
from ecommerce_kit.payments.base import RefundResult, WebhookEvent
from tests.payments import test_contract_dummy
from tests.payments.test_contract_dummy import SECRET

ROOT = Path(__file__).resolve().parents[2]


class ProviderDummy(dummy.DummyGateway):
    """The dummy gateway, with a record of the refunds its provider made: one per key."""

    id = "provider_dummy"
    name = "Dummy with a provider"

    def __init__(self) -> None:
        #: payment key -> refund key -> the provider's reference of that refund
        self.refunds: dict[str, dict[str, str]] = {}

    def refund(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        made = self.refunds.setdefault(payment.idempotency_key, {})
        made.setdefault(idempotency_key, f"re_{idempotency_key}")
        return RefundResult(ok=True, reference=made[idempotency_key])

    def refunds_made(self, payment: Any) -> int:
        return len(self.refunds.get(payment.idempotency_key, {}))


class NoSignatureCheck(ProviderDummy):
    """Never checks the signature: reads the body and trusts it."""

    id = "no_signature_check"

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        signed = {dummy.SIGNATURE_HEADER: dummy.sign(body, options["webhook_secret"])}
        return super().parse_webhook(body=body, headers=signed, options=options)


class AnySignature(ProviderDummy):
    """Accepts any signature, as long as there is one."""

    id = "any_signature"

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        if not headers.get(dummy.SIGNATURE_HEADER):
            raise InvalidSignatureError()
        signed = {dummy.SIGNATURE_HEADER: dummy.sign(body, options["webhook_secret"])}
        return super().parse_webhook(body=body, headers=signed, options=options)


class BuiltInSecret(ProviderDummy):
    """Checks the signature with a secret of its own (the one of its sandbox), not the one the
    host configured: anyone who knows the sandbox's secret can sign events for every shop."""

    id = "built_in_secret"

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        return super().parse_webhook(
            body=body, headers=headers, options={**options, "webhook_secret": SECRET}
        )


class Misread(ProviderDummy):
    """Checks the signature, then changes the event with :meth:`misread`."""

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> Any:
        return self.misread(super().parse_webhook(body=body, headers=headers, options=options))

    def misread(self, event: WebhookEvent) -> Any:
        raise NotImplementedError


class AmountInCents(Misread):
    """Reads amounts as if they were in cents."""

    id = "amount_in_cents"

    def misread(self, event: WebhookEvent) -> Any:
        return dataclasses.replace(event, amount=event.amount and event.amount / 100)


class WholeAmount(Misread):
    """Drops the minor units of amounts (``int(amount)``)."""

    id = "whole_amount"

    def misread(self, event: WebhookEvent) -> Any:
        if event.amount is None:
            return event
        return dataclasses.replace(
            event, amount=Money(int(event.amount.amount), event.amount.currency)
        )


class ShopCurrency(Misread):
    """Ignores the event's currency and assumes the shop's (AOA)."""

    id = "shop_currency"

    def misread(self, event: WebhookEvent) -> Any:
        if event.amount is None:
            return event
        return dataclasses.replace(event, amount=Money(event.amount.amount, "AOA"))


class AnotherPayment(Misread):
    """Names another payment: a reference of its own making, and a garbage amount."""

    id = "another_payment"

    def misread(self, event: WebhookEvent) -> Any:
        return dataclasses.replace(
            event, payment_id=None, reference="dummy_0", amount=Money("12345.67", "XTS")
        )


class NextPaymentId(Misread):
    """Names the payment by the wrong id (off by one)."""

    id = "next_payment_id"

    def misread(self, event: WebhookEvent) -> Any:
        return dataclasses.replace(event, payment_id=(event.payment_id or 0) + 1)


class GarbageEvent(Misread):
    """Returns the parsed body, not a :class:`WebhookEvent`."""

    id = "garbage_event"

    def misread(self, event: WebhookEvent) -> Any:
        return dict(event.payload)


class WrongEventType(Misread):
    """Returns a :class:`WebhookEvent`, but every event is a capture to it."""

    id = "wrong_event_type"

    def misread(self, event: WebhookEvent) -> Any:
        return dataclasses.replace(event, type="payment.captured")


class ForgetsTheRefund(Misread):
    """Does not say which refund a refund event is about (drops its key and reference)."""

    id = "forgets_the_refund"

    def misread(self, event: WebhookEvent) -> Any:
        return dataclasses.replace(event, idempotency_key="", movement_reference="")


class RefundNewReference(ProviderDummy):
    """Ignores the refund's key: every call is a new refund, with a new reference."""

    id = "refund_new_reference"
    numbers = itertools.count(1)

    def refund(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        reference = f"re_{next(self.numbers)}"
        self.refunds.setdefault(payment.idempotency_key, {})[reference] = reference
        return RefundResult(ok=True, reference=reference)


class RefundTwiceSameReference(ProviderDummy):
    """Answers a repeated key with the first reference, but its provider refunds every call
    (it sends a key of its own making, not the kit's)."""

    id = "refund_twice_same_reference"

    def refund(
        self, *, payment: Any, amount: Money, idempotency_key: str, options: Mapping[str, Any]
    ) -> RefundResult:
        made = self.refunds.setdefault(payment.idempotency_key, {})
        made[f"own-key-{len(made)}"] = f"re_{idempotency_key}"
        return RefundResult(ok=True, reference=f"re_{idempotency_key}")


class OneGateway:
    """A plugin offering one gateway."""

    def __init__(self, gateway: dummy.DummyGateway) -> None:
        self.gateway = gateway

    @hookimpl
    def register_payment_gateways(self) -> list[dummy.DummyGateway]:
        return [self.gateway]


def contract_for(gateway: ProviderDummy) -> type[test_contract_dummy.TestDummyGatewayContract]:
    """The dummy's contract, run against ``gateway``; it cannot leave a payment pending.

    (Named without ``Test``, so that this module does not collect it: the subprocess does.)
    """

    class Contract(test_contract_dummy.TestDummyGatewayContract):
        plugin = OneGateway(gateway)
        gateway_id = gateway.id

        def payment_data(self, outcome: str) -> dict[str, Any] | None:
            return None if outcome == "pending" else super().payment_data(outcome)

        def refunds_at_provider(self, *, payment: Any) -> int | None:
            return gateway.refunds_made(payment)

    Contract.__name__ = Contract.__qualname__ = f"{type(gateway).__name__}Contract"
    return Contract


#: Each broken gateway, and the contract tests that must catch it.
BROKEN: dict[type[ProviderDummy], set[str]] = {
    NoSignatureCheck: {
        "test_parse_webhook_rejects_forged_requests",
        "test_parse_webhook_checks_the_configured_secret",
        "test_tampered_webhook_is_rejected",
    },
    AnySignature: {
        "test_parse_webhook_rejects_forged_requests",
        "test_parse_webhook_checks_the_configured_secret",
        "test_tampered_webhook_is_rejected",
    },
    BuiltInSecret: {"test_parse_webhook_checks_the_configured_secret"},
    AmountInCents: {
        "test_parse_webhook_reads_the_event[payment.captured]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
        "test_refunded_webhook_is_applied_once",
    },
    WholeAmount: {
        "test_parse_webhook_reads_the_event[payment.captured]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
        "test_parse_webhook_names_the_refund",
    },
    ShopCurrency: {
        "test_webhook_with_a_wrong_amount_is_refused[another_currency-payment.captured]",
        "test_webhook_with_a_wrong_amount_is_refused[another_currency-payment.refunded]",
    },
    AnotherPayment: {
        "test_parse_webhook_reads_the_event[payment.captured]",
        "test_parse_webhook_reads_the_event[payment.failed]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
        "test_refunded_webhook_is_applied_once",
    },
    NextPaymentId: {
        "test_parse_webhook_reads_the_event[payment.captured]",
        "test_parse_webhook_reads_the_event[payment.failed]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
    },
    GarbageEvent: {
        "test_parse_webhook_reads_the_event[payment.captured]",
        "test_parse_webhook_reads_the_event[payment.failed]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
        "test_refunded_webhook_is_applied_once",
    },
    WrongEventType: {
        "test_parse_webhook_reads_the_event[payment.failed]",
        "test_parse_webhook_reads_the_event[payment.refunded]",
        "test_parse_webhook_names_the_refund",
    },
    ForgetsTheRefund: {
        "test_parse_webhook_names_the_refund",
        "test_refunded_webhook_about_the_kits_refund_is_booked_once",
        "test_refunded_webhook_settles_a_refund_that_timed_out",
    },
    RefundNewReference: {
        "test_repeated_refund_key_refunds_once",
        "test_refund_that_timed_out_is_retried_with_the_same_key",
    },
    RefundTwiceSameReference: {
        "test_repeated_refund_key_refunds_once",
        "test_refund_that_timed_out_is_retried_with_the_same_key",
    },
}

SoundContract = contract_for(ProviderDummy())
CONTRACTS = {
    "SoundContract": SoundContract,
    **{f"{kind.__name__}Contract": contract_for(kind()) for kind in BROKEN},
}
globals().update(CONTRACTS)


@pytest.fixture(scope="module")
def contract_failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Run every contract above in one pytest subprocess; return the failures of each
    (``{"AnySignatureContract": {"test_...": "AssertionError: ..."}}``)."""
    folder = tmp_path_factory.mktemp("broken-gateways")
    (folder / "pytest.ini").write_text(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\ndjango_find_project = false\n"
    )
    (folder / "test_broken_gateways.py").write_text(
        "from tests.payments import test_contract_catches_broken_gateways as broken\n\n"
        + "".join(f"\n\nclass Test{name}(broken.{name}):\n    pass\n" for name in CONTRACTS)
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")},
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "COLUMNS": "400",  # room for the failure messages in the summary
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rf", "--tb=no", "-q"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    failures: dict[str, dict[str, str]] = {name: {} for name in CONTRACTS}
    for line in done.stdout.splitlines():
        if line.startswith("FAILED "):
            node, _, message = line.removeprefix("FAILED ").partition(" - ")
            _module, contract, test = node.split("::")
            failures[contract.removeprefix("Test")][test] = message
    assert " passed" in done.stdout, done.stdout + done.stderr
    return failures


def test_contract_passes_the_sound_gateway(contract_failures: dict[str, dict[str, str]]) -> None:
    assert contract_failures["SoundContract"] == {}


@pytest.mark.parametrize("kind", list(BROKEN), ids=lambda kind: kind.__name__)
def test_contract_fails_the_broken_gateway(
    contract_failures: dict[str, dict[str, str]], kind: type[ProviderDummy]
) -> None:
    failed = contract_failures[f"{kind.__name__}Contract"]
    missed = BROKEN[kind] - set(failed)
    assert not missed, f"{kind.__doc__}\nnot caught by {sorted(missed)}; failed: {failed}"
