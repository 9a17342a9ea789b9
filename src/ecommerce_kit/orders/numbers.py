"""Order numbers: unguessable, yet easy to read aloud and type, e.g. ``EK-7Q2M-9X4C``."""

from __future__ import annotations

import secrets

from ecommerce_kit.conf import kit_settings

#: Digits and capital letters without the look-alikes 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = 2
GROUP_LENGTH = 4


def new_order_number() -> str:
    """Return a new random order number: ``ORDER_NUMBER_PREFIX`` and two groups of four characters.

    The characters come from :mod:`secrets` (about 40 bits of randomness), so numbers cannot be
    enumerated; uniqueness is enforced by the database and a collision is simply retried.
    """
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)]
    prefix = kit_settings.ORDER_NUMBER_PREFIX
    return "-".join([prefix, *groups] if prefix else groups)
