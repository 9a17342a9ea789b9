"""The one accessor for ``settings.ECOMMERCE_KIT``.

Values are read from Django settings on every access, so ``override_settings`` works without any
signal plumbing. Defaults are declared once, in :data:`DEFAULTS`; every key is documented in
``docs/settings.md`` and validated by the system checks in :mod:`ecommerce_kit.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Money
    "DEFAULT_CURRENCY": "AOA",
    "CURRENCIES": ("AOA", "USD", "EUR"),
    # API
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
    "PRODUCT_COUNT_EXACT_UP_TO": None,
    "THROTTLE_RATES": {
        "ecommerce_kit.cart": "120/min",
        "ecommerce_kit.checkout": "20/min",
        "ecommerce_kit.payment": "20/min",
        "ecommerce_kit.review": "20/min",
    },
    # Cart
    "MAX_QUANTITY_PER_LINE": 99,
    "CART_MAX_LINES": 50,
    "CART_TTL": timedelta(days=30),
    "CART_SESSION_KEY": "ecommerce_kit_cart_token",
    # Checkout and orders
    "ORDER_NUMBER_PREFIX": "EK",
    "DEFAULT_SHIPPING_COST": Decimal("0.00"),
    "DEFAULT_TAX_RATE": Decimal("0"),
    "IDEMPOTENCY_KEY_TTL": timedelta(hours=24),
    "IDEMPOTENCY_KEY_LEASE": timedelta(minutes=5),
    # Payments
    "PAYMENT_GATEWAYS": {},
    "PAYMENT_TIMEOUT": timedelta(minutes=30),
    "HTTP_TIMEOUT": 10.0,
    "HTTP_RETRIES": 3,
    "HTTP_BACKOFF": 0.5,
    "CIRCUIT_BREAKER_THRESHOLD": 5,
    "CIRCUIT_BREAKER_RESET": timedelta(seconds=30),
    # Reviews
    "REVIEWS_REQUIRE_PURCHASE": True,
    # E-mails
    "EMAILS": {
        "order_confirmed": True,
        "order_shipped": True,
        "order_delivered": True,
        "order_cancelled": True,
        "order_refunded": True,
        "fulfilment_due": True,
    },
    "EMAIL_FROM": None,
    "EMAIL_LANGUAGE": None,
    "EMAIL_LANGUAGE_ATTRIBUTE": "language",
    "EMAIL_MONEY_LOCALES": {"pt": "pt_AO"},
    # Plugins
    "PLUGINS": (),
    "PLUGINS_AUTOLOAD": True,
    "BLOCKED_PLUGINS": (),
}


class KitSettings:
    """Typed, always-fresh view of ``settings.ECOMMERCE_KIT``."""

    def _user_settings(self) -> Mapping[str, Any]:
        value = getattr(settings, "ECOMMERCE_KIT", None)
        return value if isinstance(value, Mapping) else {}

    def get(self, key: str) -> Any:
        """Return the value of ``key``, or its default; unknown keys raise ``KeyError``."""
        if key not in DEFAULTS:
            raise KeyError(key)
        return self._user_settings().get(key, DEFAULTS[key])

    def __getattr__(self, key: str) -> Any:
        if key.isupper():
            try:
                return self.get(key)
            except KeyError:
                pass
        raise AttributeError(key)

    # Typed accessors for the values whose type the code relies on.

    @property
    def DEFAULT_CURRENCY(self) -> str:  # noqa: N802
        return str(self.get("DEFAULT_CURRENCY"))

    @property
    def CURRENCIES(self) -> tuple[str, ...]:  # noqa: N802
        return tuple(self.get("CURRENCIES"))

    @property
    def PAGE_SIZE(self) -> int:  # noqa: N802
        return int(self.get("PAGE_SIZE"))

    @property
    def MAX_PAGE_SIZE(self) -> int:  # noqa: N802
        return int(self.get("MAX_PAGE_SIZE"))

    @property
    def PRODUCT_COUNT_EXACT_UP_TO(self) -> int | None:  # noqa: N802
        value = self.get("PRODUCT_COUNT_EXACT_UP_TO")
        return None if value is None else int(value)

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802
        rates = dict(DEFAULTS["THROTTLE_RATES"])
        rates.update(self.get("THROTTLE_RATES"))
        return rates

    @property
    def MAX_QUANTITY_PER_LINE(self) -> int:  # noqa: N802
        return int(self.get("MAX_QUANTITY_PER_LINE"))

    @property
    def CART_MAX_LINES(self) -> int:  # noqa: N802
        return int(self.get("CART_MAX_LINES"))

    @property
    def CART_TTL(self) -> timedelta:  # noqa: N802
        return as_timedelta(self.get("CART_TTL"))

    @property
    def CART_SESSION_KEY(self) -> str:  # noqa: N802
        return str(self.get("CART_SESSION_KEY"))

    @property
    def ORDER_NUMBER_PREFIX(self) -> str:  # noqa: N802
        return str(self.get("ORDER_NUMBER_PREFIX"))

    @property
    def DEFAULT_SHIPPING_COST(self) -> Decimal:  # noqa: N802
        return Decimal(str(self.get("DEFAULT_SHIPPING_COST")))

    @property
    def DEFAULT_TAX_RATE(self) -> Decimal:  # noqa: N802
        return Decimal(str(self.get("DEFAULT_TAX_RATE")))

    @property
    def IDEMPOTENCY_KEY_TTL(self) -> timedelta:  # noqa: N802
        return as_timedelta(self.get("IDEMPOTENCY_KEY_TTL"))

    @property
    def IDEMPOTENCY_KEY_LEASE(self) -> timedelta:  # noqa: N802
        return as_timedelta(self.get("IDEMPOTENCY_KEY_LEASE"))

    @property
    def PAYMENT_GATEWAYS(self) -> dict[str, dict[str, Any]]:  # noqa: N802
        return dict(self.get("PAYMENT_GATEWAYS"))

    @property
    def PAYMENT_TIMEOUT(self) -> timedelta:  # noqa: N802
        return as_timedelta(self.get("PAYMENT_TIMEOUT"))

    @property
    def HTTP_TIMEOUT(self) -> float:  # noqa: N802
        return float(self.get("HTTP_TIMEOUT"))

    @property
    def HTTP_RETRIES(self) -> int:  # noqa: N802
        return int(self.get("HTTP_RETRIES"))

    @property
    def HTTP_BACKOFF(self) -> float:  # noqa: N802
        return float(self.get("HTTP_BACKOFF"))

    @property
    def CIRCUIT_BREAKER_THRESHOLD(self) -> int:  # noqa: N802
        return int(self.get("CIRCUIT_BREAKER_THRESHOLD"))

    @property
    def CIRCUIT_BREAKER_RESET(self) -> timedelta:  # noqa: N802
        return as_timedelta(self.get("CIRCUIT_BREAKER_RESET"))

    @property
    def REVIEWS_REQUIRE_PURCHASE(self) -> bool:  # noqa: N802
        return bool(self.get("REVIEWS_REQUIRE_PURCHASE"))

    @property
    def EMAILS(self) -> dict[str, bool]:  # noqa: N802
        """Every e-mail kind, on or off: the ones given are merged over the defaults."""
        emails = dict(DEFAULTS["EMAILS"])
        emails.update(self.get("EMAILS"))
        return {kind: bool(on) for kind, on in emails.items()}

    @property
    def EMAIL_FROM(self) -> str:  # noqa: N802
        """The sender of the kit's e-mails; ``DEFAULT_FROM_EMAIL`` when not set."""
        return str(self.get("EMAIL_FROM") or settings.DEFAULT_FROM_EMAIL)

    @property
    def EMAIL_LANGUAGE(self) -> str:  # noqa: N802
        """The language of e-mails whose recipient has none; ``LANGUAGE_CODE`` when not set."""
        return str(self.get("EMAIL_LANGUAGE") or settings.LANGUAGE_CODE)

    @property
    def EMAIL_LANGUAGE_ATTRIBUTE(self) -> str | None:  # noqa: N802
        return self.get("EMAIL_LANGUAGE_ATTRIBUTE") or None

    @property
    def EMAIL_MONEY_LOCALES(self) -> dict[str, str]:  # noqa: N802
        return dict(self.get("EMAIL_MONEY_LOCALES"))

    @property
    def PLUGINS(self) -> tuple[str, ...]:  # noqa: N802
        return tuple(self.get("PLUGINS"))

    @property
    def PLUGINS_AUTOLOAD(self) -> bool:  # noqa: N802
        return bool(self.get("PLUGINS_AUTOLOAD"))

    @property
    def BLOCKED_PLUGINS(self) -> tuple[str, ...]:  # noqa: N802
        return tuple(self.get("BLOCKED_PLUGINS"))


def as_timedelta(value: Any) -> timedelta:
    """Accept a :class:`~datetime.timedelta` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


kit_settings = KitSettings()
