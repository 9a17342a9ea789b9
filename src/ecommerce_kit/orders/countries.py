"""The countries a shipping address may name, from django-countries.

The ISO 3166-1 alpha-2 list is django-countries' (``django_countries.data.COUNTRIES``), which
follows the standard's updates and translates the names. The countries a shop ships to are
django-countries' view of the host's settings: ``COUNTRIES_ONLY`` narrows the list and
``COUNTRIES_OVERRIDE`` renames, removes (``None``) or adds entries. Both are read on every call,
so ``override_settings`` applies at once.
"""

from __future__ import annotations

import re

from django_countries import Countries
from django_countries.data import COUNTRIES as ISO_3166_1

__all__ = ["country_name", "is_iso_country_code", "is_shipping_country"]

_ALPHA_2 = re.compile(r"[A-Z]{2}")


def is_iso_country_code(code: str) -> bool:
    """Whether ``code`` is an officially assigned ISO 3166-1 alpha-2 code (upper case)."""
    return _ALPHA_2.fullmatch(code) is not None and code in ISO_3166_1


def is_shipping_country(code: str) -> bool:
    """Whether the shop ships to ``code``: two upper-case letters in the host's country list.

    Without ``COUNTRIES_ONLY`` or ``COUNTRIES_OVERRIDE`` that list is every ISO 3166-1 country.
    A code a host adds with ``COUNTRIES_OVERRIDE`` (``"XK"``, say) is accepted too.
    """
    return _ALPHA_2.fullmatch(code) is not None and code in Countries().countries


def country_name(code: str) -> str:
    """The name of ``code`` in the active language (``"Angola"``), or ``code`` when unknown."""
    name = Countries().name(code) or ISO_3166_1.get(code)
    return str(name) if name else code
