"""Rate limit of the auth endpoints, per client address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from ecommerce_kit.api.throttles import client_address


class AuthRateThrottle(SimpleRateThrottle):
    """Throttle sign-up and sign-in attempts per IP with ``settings.ACCOUNTS_AUTH_THROTTLE_RATE``.

    The rate is read on every request (``None`` or unset turns the throttle off), so tests and
    settings overrides apply at once.
    """

    scope = "accounts.auth"

    def __init__(self) -> None:
        # The rate is resolved per request in allow_request.
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = getattr(settings, "ACCOUNTS_AUTH_THROTTLE_RATE", None)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        # Not DRF's get_ident, which trusts a client-written X-Forwarded-For by default.
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
