"""A small Content-Security-Policy middleware (Django 5.2 has none built in)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def build_policy(directives: Mapping[str, Sequence[str]] | str) -> str:
    """Render ``{"default-src": ["'self'"], ...}`` as ``default-src 'self'; ...``.

    :param directives: A mapping of directive names to source lists, or a ready-made policy.
    :returns: The header value.
    """
    if isinstance(directives, str):
        return directives
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Add ``settings.CONTENT_SECURITY_POLICY`` to every response that has no policy yet.

    Django's own debug pages (shown only with ``DEBUG`` on) use inline styles and scripts, so they
    are left without a policy; every other response gets it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if not policy or HEADER in response:
            return response
        if (
            settings.DEBUG
            and response.status_code in (404, 500)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        response[HEADER] = build_policy(policy)
        return response
