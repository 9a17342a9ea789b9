"""The kit's errors on the desk's forms: field errors next to their fields, others on top."""

from __future__ import annotations

from django import forms
from storefront.errors import describe

from ecommerce_kit.exceptions import EcommerceKitError


def show_on_form(form: forms.Form, exc: EcommerceKitError) -> None:
    """Put ``exc``'s messages (already in the active language) on ``form``.

    Field errors (``InvalidInputError(fields=...)``) go next to the field of the same name, or on
    top when the form has no such field; any other error goes on top.
    """
    fields = exc.extra.get("fields")
    if isinstance(fields, dict) and fields:
        for name, messages in fields.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, str(message))
    else:
        form.add_error(None, describe(exc))
