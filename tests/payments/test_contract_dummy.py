"""The gateway contract suite, run against the built-in dummy gateway."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from moneyed import Money

from ecommerce_kit import hookimpl
from ecommerce_kit.payments import dummy
from ecommerce_kit.payments.base import WebhookEvent
from ecommerce_kit.testing.contract import GatewayContract

pytest_plugins = ["pytester"]

SECRET = "whsec_contract"


class TestDummyGatewayContract(GatewayContract):
    plugin = dummy
    gateway_id = "dummy"

    def gateway_options(self) -> dict[str, Any]:
        return {"webhook_secret": SECRET}

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        tokens = {
            "success": "tok_success",
            "decline": "tok_decline",
            "authorize": "tok_authorize",
            "pending": "tok_pending",
        }
        return {"token": tokens[outcome]} if outcome in tokens else None

    def webhook_request(
        self, *, payment: Any, event_id: str, event_type: str, amount: Money | None = None
    ) -> tuple[bytes, dict[str, str]]:
        amount = payment.amount if amount is None else amount
        body = json.dumps(
            {
                "event_id": event_id,
                "payment_id": payment.pk,
                "type": event_type,
                "amount": {"amount": str(amount.amount), "currency": str(amount.currency)},
            }
        ).encode()
        return body, {dummy.SIGNATURE_HEADER: dummy.sign(body, SECRET)}


# --- Gateways that misread webhooks fail the contract -----------------------------------------


class MisreadingGateway(dummy.DummyGateway):
    """Checks the signature, then misreads the event: another payment, a garbage amount.

    Its payments complete at once and it cannot leave one pending, so no webhook reaches the kit
    on the way to a paid order: only the contract's own webhook checks can catch it.
    """

    id = "misreading"
    name = "Misreading gateway"

    def parse_webhook(
        self, *, body: bytes, headers: Mapping[str, str], options: Mapping[str, Any]
    ) -> WebhookEvent:
        event = super().parse_webhook(body=body, headers=headers, options=options)
        return self.misread(event)

    def misread(self, event: WebhookEvent) -> WebhookEvent:
        return dataclasses.replace(
            event, payment_id=None, reference="dummy_0", amount=Money("12345.67", "XTS")
        )


class CentsGateway(MisreadingGateway):
    """Finds the right payment, but reads amounts as if they were in cents."""

    id = "cents"
    name = "Cents gateway"

    def misread(self, event: WebhookEvent) -> WebhookEvent:
        return dataclasses.replace(event, amount=event.amount and event.amount / 100)


class OneGateway:
    """A plugin offering one gateway."""

    def __init__(self, gateway: dummy.DummyGateway) -> None:
        self.gateway = gateway

    @hookimpl
    def register_payment_gateways(self) -> list[dummy.DummyGateway]:
        return [self.gateway]


class MisreadingGatewayContract(TestDummyGatewayContract):
    """The dummy's contract, run against :class:`MisreadingGateway` (by the test below: its name
    does not start with ``Test``, so it is not collected here)."""

    plugin = OneGateway(MisreadingGateway())
    gateway_id = "misreading"

    def payment_data(self, outcome: str) -> dict[str, Any] | None:
        return None if outcome == "pending" else super().payment_data(outcome)


class CentsGatewayContract(MisreadingGatewayContract):
    plugin = OneGateway(CentsGateway())
    gateway_id = "cents"


def test_contract_fails_gateways_that_misread_webhooks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), str(root / "src")]))
    monkeypatch.setenv("COLUMNS", "400")  # room for the failure messages in the summary
    # Its own SQLite test database, never the one this run is using.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\ndjango_find_project = false\n"
    )
    pytester.makepyfile(
        test_misreading="""
        from tests.payments.test_contract_dummy import (
            CentsGatewayContract,
            MisreadingGatewayContract,
        )


        class TestMisreading(MisreadingGatewayContract):
            pass


        class TestCents(CentsGatewayContract):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf", "--tb=no")
    failed: dict[str, dict[str, str]] = {"TestMisreading": {}, "TestCents": {}}
    for line in result.outlines:
        if line.startswith("FAILED "):
            node, _, message = line.removeprefix("FAILED ").partition(" - ")
            _module, contract, test = node.split("::")
            failed[contract][test] = message
    parse_tests = {
        f"test_parse_webhook_reads_the_event[{event_type}]"
        for event_type in ("payment.captured", "payment.failed", "payment.refunded")
    }
    for contract, messages in failed.items():
        assert set(messages) >= {*parse_tests, "test_refunded_webhook_is_applied_once"}, (
            contract,
            result.stdout.str(),
        )
        # The contract's own checks of the parsed event caught it ...
        assert all(messages[name].startswith("AssertionError") for name in parse_tests), messages
        # ... and nothing else broke: every failure is a webhook check.
        assert all("webhook" in name for name in messages), messages
    assert result.parseoutcomes()["passed"] >= 30
