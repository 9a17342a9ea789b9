"""Who may use the desk: a signed-in user with a store, on their own store's things only.

Another store's product or fulfilment answers 404, as the kit's API does ("not yours = not
found"); a signed-in user without a store gets a 403 page that points to the desk's home, where
a store is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ecommerce_kit.catalog.models import Store
from ecommerce_kit.exceptions import NoStoreError

View = Callable[..., HttpResponse]


def owned_store(user: Any) -> Store | None:
    """The store ``user`` owns (one per user), or ``None``."""
    if not user.is_authenticated:
        return None
    return Store.objects.filter(owner_id=user.pk).first()


def store_required(view: View) -> View:
    """Sign-in required; the view gets the user's store as its ``store`` argument, or the user
    gets a 403 page saying they need a store."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        store = owned_store(request.user)
        if store is None:
            return render(
                request,
                "desk/no_store.html",
                {"message": NoStoreError().message},
                status=NoStoreError.status_code,
            )
        return view(request, *args, store=store, **kwargs)

    return wrapper
