"""System checks for ``settings.ECOMMERCE_KIT`` and the parts of the host's settings the kit needs.

Every invalid setting is reported at startup (``manage.py check``, ``runserver``, ``migrate``)
with a stable id, rather than failing later inside a request. Errors stop the process; warnings
are printed and can be silenced with ``SILENCED_SYSTEM_CHECKS``. Ids:

- ``ecommerce_kit.E001`` ``ECOMMERCE_KIT`` is not a dict, or holds an unknown key
- ``ecommerce_kit.E002`` a currency is not an ISO 4217 code known to py-moneyed
- ``ecommerce_kit.E003`` ``DEFAULT_CURRENCY`` is not one of ``CURRENCIES``
- ``ecommerce_kit.E004`` a value that must be a positive (or non-negative) integer is not
- ``ecommerce_kit.E005`` a value that must be a duration is not
- ``ecommerce_kit.E006`` a decimal value is not a number in its range
- ``ecommerce_kit.E007`` ``PAYMENT_GATEWAYS`` is not a mapping of gateway ids to option dicts
- ``ecommerce_kit.E008`` a plugin module in ``PLUGINS`` cannot be imported
- ``ecommerce_kit.E009`` a throttle rate is not of the form ``"<n>/<s|min|hour|day>"`` (or ``None``)
- ``ecommerce_kit.E010`` a value that must be a list of strings or a boolean is not, or an e-mail
  setting is invalid (an unknown e-mail in ``EMAILS``, a language not in ``LANGUAGES``, a locale
  Babel does not know)
- ``ecommerce_kit.E011`` a currency in ``CURRENCIES`` has more minor units than the money columns
  store (two decimal places), e.g. KWD
- ``ecommerce_kit.E012`` an app the kit needs is missing from ``INSTALLED_APPS``
- ``ecommerce_kit.W001`` no payment gateway is usable: checkout cannot take payments
- ``ecommerce_kit.W002`` ``DEBUG`` is off and the default cache, behind the throttles and the
  gateways' circuit breakers, is per process (``LocMemCache``) or stores nothing (``DummyCache``)
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from moneyed import CurrencyDoesNotExist, get_currency

from ecommerce_kit import INSTALLED_APPS
from ecommerce_kit.conf import DEFAULTS, kit_settings
from ecommerce_kit.money import DECIMAL_PLACES, decimal_places, storable_currency

_POSITIVE_INTS = (
    "PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_QUANTITY_PER_LINE",
    "CART_MAX_LINES",
    "CIRCUIT_BREAKER_THRESHOLD",
)
_NON_NEGATIVE_INTS = ("HTTP_RETRIES",)
_DURATIONS = (
    "CART_TTL",
    "IDEMPOTENCY_KEY_TTL",
    "IDEMPOTENCY_KEY_LEASE",
    "PAYMENT_TIMEOUT",
    "CIRCUIT_BREAKER_RESET",
)
_POSITIVE_NUMBERS = ("HTTP_TIMEOUT",)
_NON_NEGATIVE_NUMBERS = ("HTTP_BACKOFF",)
_STRING_LISTS = ("PLUGINS", "BLOCKED_PLUGINS")
_BOOLEANS = ("PLUGINS_AUTOLOAD", "REVIEWS_REQUIRE_PURCHASE")
_STRINGS = ("ORDER_NUMBER_PREFIX", "CART_SESSION_KEY")
# Order numbers are "<prefix>-" and two groups of four characters, in a 32-character column.
MAX_ORDER_NUMBER_PREFIX = 22
_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _error(msg: str, hint: str | None, id_: str) -> Error:
    return Error(msg, hint=hint, obj="settings.ECOMMERCE_KIT", id=f"ecommerce_kit.{id_}")


def _is_currency(code: Any) -> bool:
    if not isinstance(code, str) or len(code) != 3 or not code.isupper():
        return False
    try:
        get_currency(code)
    except CurrencyDoesNotExist:
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate every key of ``settings.ECOMMERCE_KIT``."""
    raw = getattr(settings, "ECOMMERCE_KIT", {})
    if not isinstance(raw, Mapping):
        return [_error("ECOMMERCE_KIT must be a dict.", None, "E001")]
    errors: list[CheckMessage] = []
    for key in sorted(set(raw) - set(DEFAULTS)):
        errors.append(
            _error(
                f"Unknown setting ECOMMERCE_KIT[{key!r}].",
                "Check the spelling against the settings reference.",
                "E001",
            )
        )
    errors.extend(_check_currencies())
    for key in _POSITIVE_INTS:
        value = kit_settings.get(key)
        if not _is_int(value) or value < 1:
            errors.append(
                _error(
                    f"ECOMMERCE_KIT[{key!r}] must be a positive integer, got {value!r}.",
                    None,
                    "E004",
                )
            )
    for key in _NON_NEGATIVE_INTS:
        value = kit_settings.get(key)
        if not _is_int(value) or value < 0:
            errors.append(
                _error(
                    f"ECOMMERCE_KIT[{key!r}] must be an integer >= 0, got {value!r}.", None, "E004"
                )
            )
    exact_up_to = kit_settings.get("PRODUCT_COUNT_EXACT_UP_TO")
    if exact_up_to is not None and (not _is_int(exact_up_to) or exact_up_to < 1):
        errors.append(
            _error(
                "ECOMMERCE_KIT['PRODUCT_COUNT_EXACT_UP_TO'] must be a positive integer or None, "
                f"got {exact_up_to!r}.",
                None,
                "E004",
            )
        )
    if not errors and kit_settings.PAGE_SIZE > kit_settings.MAX_PAGE_SIZE:
        errors.append(
            _error("ECOMMERCE_KIT['PAGE_SIZE'] must not exceed MAX_PAGE_SIZE.", None, "E004")
        )
    for key in _DURATIONS:
        value = kit_settings.get(key)
        seconds = value.total_seconds() if isinstance(value, timedelta) else value
        if not _is_number(seconds) or seconds <= 0:
            errors.append(
                _error(
                    f"ECOMMERCE_KIT[{key!r}] must be a positive duration, got {value!r}.",
                    "Use a datetime.timedelta or a number of seconds.",
                    "E005",
                )
            )
    for key in _POSITIVE_NUMBERS:
        value = kit_settings.get(key)
        if not _is_number(value) or value <= 0:
            errors.append(
                _error(f"ECOMMERCE_KIT[{key!r}] must be a number > 0, got {value!r}.", None, "E006")
            )
    for key in _NON_NEGATIVE_NUMBERS:
        value = kit_settings.get(key)
        if not _is_number(value) or value < 0:
            errors.append(
                _error(
                    f"ECOMMERCE_KIT[{key!r}] must be a number >= 0, got {value!r}.", None, "E006"
                )
            )
    errors.extend(_check_decimal("DEFAULT_SHIPPING_COST", Decimal(0), None))
    errors.extend(_check_decimal("DEFAULT_TAX_RATE", Decimal(0), Decimal(1)))
    errors.extend(_check_gateways())
    errors.extend(_check_plugins())
    errors.extend(_check_throttles())
    errors.extend(_check_emails())
    for key in _BOOLEANS:
        if not isinstance(kit_settings.get(key), bool):
            errors.append(_error(f"ECOMMERCE_KIT[{key!r}] must be True or False.", None, "E010"))
    for key in _STRINGS:
        value = kit_settings.get(key)
        if not isinstance(value, str) or not value:
            errors.append(
                _error(f"ECOMMERCE_KIT[{key!r}] must be a non-empty string.", None, "E010")
            )
    prefix = kit_settings.get("ORDER_NUMBER_PREFIX")
    if isinstance(prefix, str) and len(prefix) > MAX_ORDER_NUMBER_PREFIX:
        errors.append(
            _error(
                f"ECOMMERCE_KIT['ORDER_NUMBER_PREFIX'] is longer than {MAX_ORDER_NUMBER_PREFIX} "
                "characters; order numbers would not fit their column.",
                None,
                "E010",
            )
        )
    return errors


def _check_currencies() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    currencies = kit_settings.get("CURRENCIES")
    if isinstance(currencies, str) or not isinstance(currencies, list | tuple) or not currencies:
        return [
            _error(
                "ECOMMERCE_KIT['CURRENCIES'] must be a non-empty list of ISO 4217 codes.",
                None,
                "E002",
            )
        ]
    for code in currencies:
        if not _is_currency(code):
            errors.append(
                _error(
                    f"{code!r} in ECOMMERCE_KIT['CURRENCIES'] is not an ISO 4217 currency code.",
                    "Use upper-case codes such as 'AOA'.",
                    "E002",
                )
            )
        elif not storable_currency(code):
            errors.append(
                _error(
                    f"{code!r} in ECOMMERCE_KIT['CURRENCIES'] has {decimal_places(code)} decimal "
                    f"places; the kit stores amounts with at most {DECIMAL_PLACES}.",
                    "Remove it: its amounts would be rounded when saved, and the amounts charged "
                    "would differ from those customers confirmed.",
                    "E011",
                )
            )
    default = kit_settings.get("DEFAULT_CURRENCY")
    if not _is_currency(default):
        errors.append(
            _error(
                f"ECOMMERCE_KIT['DEFAULT_CURRENCY'] {default!r} is not an ISO 4217 currency code.",
                "Use an upper-case code such as 'AOA'.",
                "E002",
            )
        )
    elif default not in currencies:
        errors.append(
            _error(
                f"ECOMMERCE_KIT['DEFAULT_CURRENCY'] {default!r} is not one of CURRENCIES.",
                "Add it to ECOMMERCE_KIT['CURRENCIES'].",
                "E003",
            )
        )
    return errors


def _check_decimal(key: str, low: Decimal, high: Decimal | None) -> list[CheckMessage]:
    value = kit_settings.get(key)
    try:
        number = Decimal(str(value))
        valid = number.is_finite() and number >= low and (high is None or number <= high)
    except (InvalidOperation, ValueError):
        valid = False
    if isinstance(value, bool) or not valid:
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        return [
            _error(
                f"ECOMMERCE_KIT[{key!r}] must be a decimal {bounds}, got {value!r}.",
                "Use a string or a Decimal, e.g. Decimal('0.14').",
                "E006",
            )
        ]
    return []


def _check_gateways() -> list[CheckMessage]:
    gateways = kit_settings.get("PAYMENT_GATEWAYS")
    if not isinstance(gateways, Mapping):
        return [
            _error(
                "ECOMMERCE_KIT['PAYMENT_GATEWAYS'] must be a dict of gateway id -> options.",
                None,
                "E007",
            )
        ]
    errors: list[CheckMessage] = []
    for gateway_id, options in gateways.items():
        if not isinstance(gateway_id, str) or not isinstance(options, Mapping):
            errors.append(
                _error(
                    f"ECOMMERCE_KIT['PAYMENT_GATEWAYS'][{gateway_id!r}] must map a string id to "
                    "a dict "
                    "of options.",
                    None,
                    "E007",
                )
            )
            continue
        currencies = options.get("currencies")
        if currencies is not None and (
            isinstance(currencies, str) or not all(_is_currency(c) for c in currencies)
        ):
            errors.append(
                _error(
                    f"ECOMMERCE_KIT['PAYMENT_GATEWAYS'][{gateway_id!r}]['currencies'] must be "
                    "a list "
                    "of ISO 4217 codes.",
                    None,
                    "E002",
                )
            )
    return errors


def _check_plugins() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for key in _STRING_LISTS:
        value = kit_settings.get(key)
        if (
            isinstance(value, str)
            or not isinstance(value, list | tuple)
            or not all(isinstance(v, str) for v in value)
        ):
            errors.append(
                _error(f"ECOMMERCE_KIT[{key!r}] must be a list of strings.", None, "E010")
            )
    if errors:
        return errors
    for dotted in kit_settings.PLUGINS:
        try:
            importlib.import_module(dotted)
        except ImportError as exc:
            errors.append(
                _error(
                    f"Cannot import plugin module {dotted!r}: {exc}.",
                    "Fix ECOMMERCE_KIT['PLUGINS'].",
                    "E008",
                )
            )
    return errors


def _check_throttles() -> list[CheckMessage]:
    rates = kit_settings.get("THROTTLE_RATES")
    if not isinstance(rates, Mapping):
        return [
            _error("ECOMMERCE_KIT['THROTTLE_RATES'] must be a dict of scope -> rate.", None, "E009")
        ]
    errors: list[CheckMessage] = []
    for scope, rate in rates.items():
        if scope not in DEFAULTS["THROTTLE_RATES"]:
            errors.append(
                _error(
                    f"Unknown throttle scope {scope!r} in ECOMMERCE_KIT['THROTTLE_RATES'].",
                    f"Known scopes: {', '.join(DEFAULTS['THROTTLE_RATES'])}.",
                    "E009",
                )
            )
        elif rate is not None and (not isinstance(rate, str) or not _RATE.match(rate)):
            errors.append(
                _error(
                    f"Throttle rate {rate!r} for {scope!r} is not of the form "
                    "'<n>/<s|min|hour|day>'.",
                    "Use e.g. '20/min', or None to turn the throttle off.",
                    "E009",
                )
            )
    return errors


def _check_emails() -> list[CheckMessage]:
    from babel.core import Locale, UnknownLocaleError

    errors: list[CheckMessage] = []
    emails = kit_settings.get("EMAILS")
    if not isinstance(emails, Mapping):
        errors.append(
            _error("ECOMMERCE_KIT['EMAILS'] must be a dict of e-mail -> bool.", None, "E010")
        )
    else:
        for kind, on in emails.items():
            if kind not in DEFAULTS["EMAILS"] or not isinstance(on, bool):
                errors.append(
                    _error(
                        f"ECOMMERCE_KIT['EMAILS'][{kind!r}] must be a known e-mail set to True or "
                        f"False, got {on!r}.",
                        f"Known e-mails: {', '.join(DEFAULTS['EMAILS'])}.",
                        "E010",
                    )
                )
    for key in ("EMAIL_FROM", "EMAIL_LANGUAGE_ATTRIBUTE"):
        value = kit_settings.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            errors.append(
                _error(f"ECOMMERCE_KIT[{key!r}] must be a non-empty string or None.", None, "E010")
            )
    language = kit_settings.get("EMAIL_LANGUAGE")
    known = [code for code, _name in settings.LANGUAGES]
    if language is not None and language not in known:
        errors.append(
            _error(
                f"ECOMMERCE_KIT['EMAIL_LANGUAGE'] {language!r} is not one of LANGUAGES.",
                f"Use one of {', '.join(known)}, or None for LANGUAGE_CODE.",
                "E010",
            )
        )
    locales = kit_settings.get("EMAIL_MONEY_LOCALES")
    if not isinstance(locales, Mapping):
        return [
            *errors,
            _error(
                "ECOMMERCE_KIT['EMAIL_MONEY_LOCALES'] must be a dict of language -> locale.",
                None,
                "E010",
            ),
        ]
    for code, locale in locales.items():
        try:
            Locale.parse(locale)
        except (UnknownLocaleError, ValueError, TypeError):
            errors.append(
                _error(
                    f"ECOMMERCE_KIT['EMAIL_MONEY_LOCALES'][{code!r}] = {locale!r} is not a locale "
                    "Babel knows.",
                    "Use a locale name such as 'pt_AO' or 'en_US'.",
                    "E010",
                )
            )
    return errors


#: Every app the kit needs: Django's auth and contenttypes (every new site has them), then
#: ``ecommerce_kit.INSTALLED_APPS``.
REQUIRED_APPS: tuple[str, ...] = (
    "django.contrib.auth",
    "django.contrib.contenttypes",
    *INSTALLED_APPS,
)

#: Cache backends that no two processes share, with what that does to the kit.
_UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": (
        "keeps a separate copy in every process: each process counts throttled requests and "
        "gateway failures on its own, so the limits multiply with the processes and a failing "
        "provider keeps being called"
    ),
    "django.core.cache.backends.dummy.DummyCache": (
        "stores nothing: the kit's throttles never limit anyone and the gateways' circuit "
        "breakers never open"
    ),
}


@register()
def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report every app the kit needs that ``INSTALLED_APPS`` lacks."""
    errors: list[CheckMessage] = []
    for name in REQUIRED_APPS:
        if apps.is_installed(name):
            continue
        if name.startswith("django.contrib."):
            hint = f"Add {name!r} to INSTALLED_APPS: carts, orders and reviews belong to users."
        else:
            hint = (
                "Add `INSTALLED_APPS += ecommerce_kit.INSTALLED_APPS` to your settings, after "
                f"INSTALLED_APPS is defined (or add {name!r} to it yourself)."
            )
        errors.append(
            Error(
                f"{name!r} is missing from INSTALLED_APPS; ecommerce_kit needs it.",
                hint=hint,
                obj="settings.INSTALLED_APPS",
                id="ecommerce_kit.E012",
            )
        )
    return errors


@register()
def check_payment_gateways(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when no gateway is both offered by a plugin and configured: nobody could pay."""
    from ecommerce_kit.plugins import registered_gateways

    configured = kit_settings.get("PAYMENT_GATEWAYS")
    if not isinstance(configured, Mapping):
        return []  # E007
    try:
        offered = registered_gateways()
    except ImproperlyConfigured:
        return []  # a broken plugin fails loudly wherever gateways are used
    if any(gateway_id in offered for gateway_id in configured):
        return []
    if configured:
        names = ", ".join(repr(gateway_id) for gateway_id in configured)
        hint = (
            f"ECOMMERCE_KIT['PAYMENT_GATEWAYS'] names {names}, which no installed plugin offers "
            f"(offered: {', '.join(repr(g) for g in offered) or 'none'}). Install the gateway's "
            "distribution, or fix the id."
        )
    else:
        hint = (
            "Configure one in ECOMMERCE_KIT['PAYMENT_GATEWAYS'], e.g. the built-in test gateway "
            "{'dummy': {'webhook_secret': '...'}} while you try the kit, and a provider's plugin "
            "before going live."
        )
    return [
        Warning(
            "No payment gateway is configured: payment-methods/ is empty and every checkout "
            "is refused with unknown_payment_method.",
            hint=hint,
            obj="settings.ECOMMERCE_KIT",
            id="ecommerce_kit.W001",
        )
    ]


@register()
def check_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when, outside ``DEBUG``, the default cache is not shared between processes."""
    if settings.DEBUG:
        return []
    caches = getattr(settings, "CACHES", None)
    default = caches.get("default") if isinstance(caches, Mapping) else None
    backend = default.get("BACKEND") if isinstance(default, Mapping) else None
    effect = _UNSHARED_CACHES.get(str(backend))
    if effect is None:
        return []
    return [
        Warning(
            f"The default cache is {str(backend).rsplit('.', 1)[-1]}, which {effect}.",
            hint=(
                "In production, point CACHES['default'] at a cache every process shares (Redis, "
                "Memcached or the database cache). A site served by one single process may "
                "silence this with SILENCED_SYSTEM_CHECKS = ['ecommerce_kit.W002']."
            ),
            obj="settings.CACHES",
            id="ecommerce_kit.W002",
        )
    ]
