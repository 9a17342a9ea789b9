"""Signal receivers of the cart app, connected in :meth:`CartConfig.ready`."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from ecommerce_kit.cart import services
from ecommerce_kit.conf import kit_settings
from ecommerce_kit.exceptions import CartError

logger = logging.getLogger(__name__)


def merge_session_cart_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Merge the anonymous cart remembered in the session into the cart of the user logging in.

    The cart views remember an anonymous cart's token in the session (``CART_SESSION_KEY``).
    The token is removed from the session whatever happens; a cart that no longer exists, or
    that cannot be merged, is skipped without disturbing the login.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    token = session.pop(kit_settings.CART_SESSION_KEY, None)
    if not token:
        return
    try:
        services.merge_carts(user=user, source_token=token)
    except CartError as exc:
        logger.info("Session cart not merged at login of user %s: %s", user.pk, exc.code)
