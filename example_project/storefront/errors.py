"""The kit's errors in words, for a page: its message (translated by the kit) and field errors."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from ecommerce_kit.exceptions import EcommerceKitError


def describe(exc: EcommerceKitError) -> str:
    """``exc``'s message in the active language, followed by any field errors it carries."""
    text = str(exc.message)
    fields = exc.extra.get("fields")
    if isinstance(fields, dict):
        details = [str(message) for errors in fields.values() for message in errors]
        if details:
            text = f"{text} {' '.join(details)}"
    return text


def report(request: HttpRequest, exc: EcommerceKitError) -> None:
    """Show ``exc`` on the next page the shopper sees."""
    messages.error(request, describe(exc), extra_tags=f"code-{exc.code}")
