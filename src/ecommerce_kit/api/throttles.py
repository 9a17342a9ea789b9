"""Scoped throttles whose rates come from ``ECOMMERCE_KIT["THROTTLE_RATES"]``.

Authenticated clients are throttled per user, anonymous ones per IP address. Over the limit the
API answers ``429`` with ``code: "throttled"`` and a ``Retry-After`` header.

An anonymous client's address is ``REMOTE_ADDR``; ``X-Forwarded-For`` is read only when the host
says how many proxies it trusts (DRF's ``NUM_PROXIES``), see :func:`client_address`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ecommerce_kit.conf import kit_settings


def client_address(request: Request) -> str:
    """The IP address that identifies an anonymous client for throttling.

    ``REMOTE_ADDR``, unless ``REST_FRAMEWORK["NUM_PROXIES"]`` says how many proxies in front of
    the site append to ``X-Forwarded-For``: then the entry that many hops from the end (the
    address the outermost trusted proxy saw). Unlike DRF's default, the header is never trusted
    when ``NUM_PROXIES`` is unset: a client writes it, and a new value per request would escape
    every limit.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    num_proxies = api_settings.NUM_PROXIES
    forwarded = request.headers.get("x-forwarded-for")
    if not num_proxies or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(int(num_proxies), len(addresses))]


class KitScopedThrottle(SimpleRateThrottle):
    """Throttle the requests of one view scope (``throttle_scope`` on the view)."""

    def __init__(self) -> None:
        # Rates are resolved per request in allow_request, so settings overrides apply.
        pass

    def get_rate(self) -> str | None:
        return kit_settings.THROTTLE_RATES.get(self.scope or "")

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, "throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{client_address(request)}"
        return f"ecommerce_kit:throttle:{self.scope}:{ident}"


class WriteOnlyScopedThrottle(KitScopedThrottle):
    """Like :class:`KitScopedThrottle`, but reads (GET, HEAD, OPTIONS) are never throttled."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
