"""System checks on the host's settings: missing apps, no payment gateway, an unshared cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import ecommerce_kit
from ecommerce_kit.checks import check_cache, check_installed_apps, check_payment_gateways

ROOT = Path(__file__).resolve().parent.parent
DUMMY = {"PAYMENT_GATEWAYS": {"dummy": {"webhook_secret": "s"}}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _without(*names: str) -> list[str]:
    return [app for app in settings.INSTALLED_APPS if app not in names]


def test_E012_every_app_installed_passes() -> None:
    assert check_installed_apps() == []


@pytest.mark.parametrize("missing", ["django_filters", "djmoney", "ecommerce_kit"])
def test_E012_names_each_missing_app_with_a_hint(missing: str) -> None:
    with override_settings(INSTALLED_APPS=_without(missing)):
        errors = check_installed_apps()
    assert [(type(e), e.id) for e in errors] == [(Error, "ecommerce_kit.E012")]
    assert repr(missing) in errors[0].msg
    assert "INSTALLED_APPS += ecommerce_kit.INSTALLED_APPS" in errors[0].hint


def test_E012_stops_manage_py_check() -> None:
    with (
        override_settings(INSTALLED_APPS=_without("django_filters")),
        pytest.raises(SystemCheckError, match="ecommerce_kit.E012"),
    ):
        call_command("check")


def test_E012_covers_the_apps_every_new_site_has() -> None:
    from ecommerce_kit.checks import REQUIRED_APPS

    assert REQUIRED_APPS[:2] == ("django.contrib.auth", "django.contrib.contenttypes")
    assert list(REQUIRED_APPS[2:]) == ecommerce_kit.INSTALLED_APPS


def test_installed_apps_list_holds_what_the_test_settings_need() -> None:
    assert set(ecommerce_kit.INSTALLED_APPS) <= set(settings.INSTALLED_APPS)
    assert len(set(ecommerce_kit.INSTALLED_APPS)) == len(ecommerce_kit.INSTALLED_APPS)


@override_settings(ECOMMERCE_KIT=DUMMY)
def test_W001_a_configured_gateway_passes() -> None:
    assert check_payment_gateways() == []


@override_settings(ECOMMERCE_KIT={})
def test_W001_no_gateway_configured() -> None:
    warnings = check_payment_gateways()
    assert [(type(w), w.id) for w in warnings] == [(Warning, "ecommerce_kit.W001")]
    assert "'dummy'" in warnings[0].hint


@override_settings(ECOMMERCE_KIT={"PAYMENT_GATEWAYS": {"acme": {}}})
def test_W001_a_configured_gateway_no_plugin_offers() -> None:
    warnings = check_payment_gateways()
    assert [w.id for w in warnings] == ["ecommerce_kit.W001"]
    assert "'acme'" in warnings[0].hint and "offered: 'dummy'" in warnings[0].hint


@override_settings(ECOMMERCE_KIT={})
def test_W001_does_not_stop_manage_py_check(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("check")
    assert "ecommerce_kit.W001" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("backend", "says"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", "in every process"),
        ("django.core.cache.backends.dummy.DummyCache", "never limit anyone"),
    ],
)
def test_W002_unshared_cache_without_debug(backend: str, says: str) -> None:
    with override_settings(DEBUG=False, CACHES={"default": {"BACKEND": backend}}):
        warnings = check_cache()
    assert [(type(w), w.id) for w in warnings] == [(Warning, "ecommerce_kit.W002")]
    assert says in warnings[0].msg
    assert "SILENCED_SYSTEM_CHECKS" in warnings[0].hint


@override_settings(DEBUG=True, CACHES=LOCMEM)
def test_W002_not_in_debug() -> None:
    assert check_cache() == []


@override_settings(
    DEBUG=False,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "c"}},
)
def test_W002_a_shared_cache_passes() -> None:
    assert check_cache() == []


def test_every_check_id_is_documented() -> None:
    source = (ROOT / "src/ecommerce_kit/checks.py").read_text()
    documented = (ROOT / "docs/settings.md").read_text()
    ids = set(re.findall(r"ecommerce_kit\.[EW]\d{3}", source))
    assert {"ecommerce_kit.E012", "ecommerce_kit.W001", "ecommerce_kit.W002"} <= ids
    for check_id in sorted(ids):
        assert f"| `{check_id}` |" in documented, check_id
