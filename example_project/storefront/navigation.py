"""Where to send the shopper after a form: a local address given by the page, or a default."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def local_target(request: HttpRequest, name: str, default: str) -> str:
    """The address in ``request``'s POST or GET parameter ``name`` when it is on this site, else
    ``default`` (a URL or a URL pattern name)."""
    target = request.POST.get(name) or request.GET.get(name) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)
