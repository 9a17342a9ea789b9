from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from ecommerce_kit.checks import check_settings


def _ids(**kit: Any) -> list[str]:
    with override_settings(ECOMMERCE_KIT=kit):
        errors = check_settings()
    assert all(isinstance(e, Error) for e in errors)
    assert all(e.obj == "settings.ECOMMERCE_KIT" and e.msg for e in errors)
    return [str(e.id) for e in errors]


def test_test_settings_pass() -> None:
    assert check_settings() == []


def test_no_setting_at_all_passes() -> None:
    with override_settings():
        from django.conf import settings

        del settings.ECOMMERCE_KIT
        assert check_settings() == []


def test_empty_setting_passes_with_the_defaults() -> None:
    assert _ids() == []


def test_every_default_spelled_out_passes() -> None:
    from ecommerce_kit.conf import DEFAULTS

    assert _ids(**DEFAULTS) == []


def test_manage_py_check_fails_on_a_bad_setting() -> None:
    with override_settings(ECOMMERCE_KIT={"PAGE_SIZE": 0}), pytest.raises(SystemCheckError) as info:
        call_command("check")
    assert "ecommerce_kit.E004" in str(info.value)


def test_E001_setting_is_not_a_dict() -> None:
    with override_settings(ECOMMERCE_KIT=["PAGE_SIZE", 5]):
        assert [e.id for e in check_settings()] == ["ecommerce_kit.E001"]


def test_E001_unknown_key() -> None:
    with override_settings(ECOMMERCE_KIT={"PAGE_SIZ": 5}):
        errors = check_settings()
    assert [e.id for e in errors] == ["ecommerce_kit.E001"]
    assert "PAGE_SIZ" in errors[0].msg


@pytest.mark.parametrize("currencies", [["AOA", "XXY"], ["aoa"], "AOA", [], ["AOA", 978]])
def test_E002_currencies_must_be_iso_codes(currencies: Any) -> None:
    assert "ecommerce_kit.E002" in _ids(CURRENCIES=currencies)


def test_E002_default_currency_must_be_an_iso_code() -> None:
    assert _ids(DEFAULT_CURRENCY="KWANZA") == ["ecommerce_kit.E002"]


def test_E002_gateway_currencies_must_be_iso_codes() -> None:
    assert _ids(PAYMENT_GATEWAYS={"dummy": {"currencies": ["AOA", "NOPE"]}}) == [
        "ecommerce_kit.E002"
    ]


def test_E003_default_currency_must_be_one_of_currencies() -> None:
    assert _ids(DEFAULT_CURRENCY="GBP", CURRENCIES=["AOA", "USD"]) == ["ecommerce_kit.E003"]


@pytest.mark.parametrize("code", ["KWD", "BHD", "JOD", "OMR", "TND", "LYD", "IQD", "CLF", "UYW"])
def test_E011_currencies_with_more_than_two_minor_units(code: str) -> None:
    with override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", code]}):
        errors = check_settings()
    assert [e.id for e in errors] == ["ecommerce_kit.E011"]
    assert code in errors[0].msg and "decimal places" in errors[0].msg
    assert errors[0].hint


def test_E011_default_currency_with_three_minor_units() -> None:
    assert _ids(DEFAULT_CURRENCY="KWD", CURRENCIES=["KWD"]) == ["ecommerce_kit.E011"]


@pytest.mark.parametrize("code", ["JPY", "XAF", "USD", "BRL"])
def test_E011_accepts_currencies_with_at_most_two_minor_units(code: str) -> None:
    assert _ids(CURRENCIES=["AOA", code]) == []


def test_manage_py_check_fails_on_a_three_decimal_currency() -> None:
    with (
        override_settings(ECOMMERCE_KIT={"CURRENCIES": ["AOA", "KWD"]}),
        pytest.raises(SystemCheckError) as info,
    ):
        call_command("check")
    assert "ecommerce_kit.E011" in str(info.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PAGE_SIZE", 0),
        ("MAX_PAGE_SIZE", -1),
        ("MAX_QUANTITY_PER_LINE", "99"),
        ("CART_MAX_LINES", 2.5),
        ("CIRCUIT_BREAKER_THRESHOLD", True),
        ("HTTP_RETRIES", -1),
        ("PRODUCT_COUNT_EXACT_UP_TO", 0),
        ("PRODUCT_COUNT_EXACT_UP_TO", "1000"),
    ],
)
def test_E004_integers_in_range(key: str, value: Any) -> None:
    assert _ids(**{key: value}) == ["ecommerce_kit.E004"]


def test_E004_page_size_above_max_page_size() -> None:
    assert _ids(PAGE_SIZE=50, MAX_PAGE_SIZE=20) == ["ecommerce_kit.E004"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CART_TTL", timedelta(0)),
        ("PAYMENT_TIMEOUT", -5),
        ("IDEMPOTENCY_KEY_TTL", "1 day"),
        ("CIRCUIT_BREAKER_RESET", None),
    ],
)
def test_E005_durations(key: str, value: Any) -> None:
    assert _ids(**{key: value}) == ["ecommerce_kit.E005"]


def test_E005_accepts_seconds() -> None:
    assert _ids(CART_TTL=3600, PAYMENT_TIMEOUT=timedelta(minutes=5)) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("HTTP_TIMEOUT", 0),
        ("HTTP_TIMEOUT", "10"),
        ("HTTP_BACKOFF", -0.1),
        ("DEFAULT_SHIPPING_COST", "-1"),
        ("DEFAULT_SHIPPING_COST", "free"),
        ("DEFAULT_TAX_RATE", Decimal("1.5")),
        ("DEFAULT_TAX_RATE", True),
        ("DEFAULT_TAX_RATE", "NaN"),
    ],
)
def test_E006_numbers_in_range(key: str, value: Any) -> None:
    assert _ids(**{key: value}) == ["ecommerce_kit.E006"]


@pytest.mark.parametrize("gateways", [[], {"dummy": "on"}, {1: {}}])
def test_E007_payment_gateways_shape(gateways: Any) -> None:
    assert _ids(PAYMENT_GATEWAYS=gateways) == ["ecommerce_kit.E007"]


def test_E008_plugin_module_must_import() -> None:
    errors_ids = _ids(PLUGINS=["ecommerce_kit_no_such_plugin"])
    assert errors_ids == ["ecommerce_kit.E008"]


def test_E008_importable_plugins_pass() -> None:
    assert _ids(PLUGINS=["ecommerce_kit.money"]) == []


@pytest.mark.parametrize(
    "rates",
    [
        {"ecommerce_kit.cart": "fast"},
        {"ecommerce_kit.cart": "10/fortnight"},
        {"ecommerce_kit.cart": 10},
        {"ecommerce_kit.nope": "10/min"},
        ["10/min"],
    ],
)
def test_E009_throttle_rates(rates: Any) -> None:
    assert _ids(THROTTLE_RATES=rates) == ["ecommerce_kit.E009"]


def test_E009_accepts_none_to_disable_a_throttle() -> None:
    assert _ids(THROTTLE_RATES={"ecommerce_kit.cart": None, "ecommerce_kit.review": "5/s"}) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PLUGINS", "one.module"),
        ("BLOCKED_PLUGINS", [1]),
        ("PLUGINS_AUTOLOAD", "yes"),
        ("REVIEWS_REQUIRE_PURCHASE", 1),
        ("ORDER_NUMBER_PREFIX", ""),
        ("CART_SESSION_KEY", None),
    ],
)
def test_E010_lists_booleans_and_strings(key: str, value: Any) -> None:
    assert _ids(**{key: value}) == ["ecommerce_kit.E010"]


def test_several_errors_are_reported_at_once() -> None:
    assert sorted(_ids(PAGE_SIZE=0, CART_TTL=0, PLUGINS_AUTOLOAD="x")) == [
        "ecommerce_kit.E004",
        "ecommerce_kit.E005",
        "ecommerce_kit.E010",
    ]


def test_order_number_prefix_must_fit_the_number_column() -> None:
    assert _ids(ORDER_NUMBER_PREFIX="X" * 22) == []
    assert _ids(ORDER_NUMBER_PREFIX="X" * 23) == ["ecommerce_kit.E010"]
