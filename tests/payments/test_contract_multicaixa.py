"""The example third-party gateway distribution (``example_project/plugins/...``).

It is not installed: its ``src`` folder is put on ``sys.path`` and its own contract tests module
is loaded from its folder, so the kit's suite runs exactly what the distribution ships.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pluggy
import pytest

from ecommerce_kit import plugins
from ecommerce_kit.exceptions import GatewayError, InvalidSignatureError
from ecommerce_kit.payments.models import GatewayCallLog, Payment
from ecommerce_kit.payments.services import handle_webhook, start_payment
from tests.payments.factories import make_order

DIST = (
    Path(__file__).resolve().parents[2] / "example_project" / "plugins" / "ecommerce-kit-multicaixa"
)
if str(DIST / "src") not in sys.path:
    sys.path.insert(0, str(DIST / "src"))

_spec = importlib.util.spec_from_file_location(
    "multicaixa_contract_tests", DIST / "tests" / "test_contract.py"
)
assert _spec is not None and _spec.loader is not None
contract_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contract_tests)

TestMulticaixaContract = contract_tests.TestMulticaixaContract
fake_provider = contract_tests.fake_provider


@pytest.fixture
def multicaixa(settings: Any, isolated_plugins: pluggy.PluginManager) -> Any:
    from ecommerce_kit_multicaixa import plugin

    isolated_plugins.register(plugin, name="multicaixa")
    settings.ECOMMERCE_KIT = {
        **settings.ECOMMERCE_KIT,
        "PAYMENT_GATEWAYS": {"multicaixa_ref": TestMulticaixaContract().gateway_options()},
    }
    return plugin.gateway


@pytest.mark.django_db
def test_reference_payment_sends_idempotent_request_and_logs_without_secrets(
    multicaixa: Any, fake_provider: Any
) -> None:
    order = make_order()
    payment = start_payment(order=order, gateway_id="multicaixa_ref", payment_data={}, actor=None)
    assert payment.next_action == {
        "type": "reference",
        "entity": "11223",
        "reference": "900 000 001",
        "expires_at": "2030-01-01T12:00:00+00:00",
    }
    method, url, headers, body = fake_provider.requests[0]
    assert (method, url) == ("POST", "https://mcx.test/v1/references")
    assert headers["Idempotency-Key"] == payment.idempotency_key
    assert body["merchant_reference"] == order.number and body["amount"] == "1000.00"
    log = GatewayCallLog.objects.get()
    assert (log.gateway, log.status_code) == ("multicaixa_ref", 201)
    assert "mcx_test_key" not in log.request_body + log.response_body + log.url


@pytest.mark.django_db
def test_provider_down_fails_the_payment_with_gateway_error(multicaixa: Any, settings: Any) -> None:
    from ecommerce_kit.payments.http import HttpResponse

    settings.ECOMMERCE_KIT = {**settings.ECOMMERCE_KIT, "HTTP_RETRIES": 2, "HTTP_BACKOFF": 0}
    multicaixa.transport = lambda *args: HttpResponse(503, {}, b"down")
    order = make_order()
    with pytest.raises(GatewayError):
        start_payment(order=order, gateway_id="multicaixa_ref", payment_data={}, actor=None)
    assert Payment.objects.get().status == "failed"
    assert GatewayCallLog.objects.count() == 3


@pytest.mark.django_db
def test_old_or_future_webhooks_are_rejected(multicaixa: Any, fake_provider: Any) -> None:
    payment = start_payment(
        order=make_order(), gateway_id="multicaixa_ref", payment_data={}, actor=None
    )
    for stamp in (int(time.time()) - 3600, int(time.time()) + 3600):
        body, headers = contract_tests.webhook(payment, "evt_old", "reference.paid", stamp)
        with pytest.raises(InvalidSignatureError):
            handle_webhook(gateway_id="multicaixa_ref", body=body, headers=headers)
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_distribution_declares_its_entry_point() -> None:
    project = tomllib.loads((DIST / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["ecommerce_kit"]["multicaixa_ref"]
    assert target == "ecommerce_kit_multicaixa.plugin"
    assert hasattr(importlib.import_module(target), "register_payment_gateways")


def test_entry_point_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    info = tmp_path / "ecommerce_kit_multicaixa-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ecommerce-kit-multicaixa\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[ecommerce_kit]\nmulticaixa_ref = ecommerce_kit_multicaixa.plugin\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOMMERCE_KIT_DISABLE_PLUGIN_AUTOLOAD")
    plugins.get_plugin_manager.cache_clear()
    assert "multicaixa_ref" in plugins.registered_gateways()
    plugins.get_plugin_manager.cache_clear()


def test_webhook_body_is_not_read_before_the_signature_is_checked(multicaixa: Any) -> None:
    # Not JSON at all: a bad signature must be reported, not a parse error.
    with pytest.raises(InvalidSignatureError):
        multicaixa.parse_webhook(
            body=b"\xff not json",
            headers={"X-Multicaixa-Signature": f"t={int(time.time())},v1=00"},
            options={"webhook_secret": "x"},
        )
    body = json.dumps({"id": "e"}).encode()
    with pytest.raises(InvalidSignatureError):
        multicaixa.parse_webhook(body=body, headers={}, options={"webhook_secret": "x"})


def test_distribution_runs_its_own_tests_from_its_folder() -> None:
    # -P keeps the current folder off sys.path, as the ``pytest`` script does: the distribution's
    # own pytest settings must find its test settings and its sources.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=DIST,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout
