"""The example site's landing page at ``/``."""

from __future__ import annotations

from demo.management.commands.seed_demo import DEMO_USERS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def landing(request: HttpRequest) -> HttpResponse:
    """Links to the storefront, the seller's desk, the admin and the API docs; the demo logins."""
    return render(request, "storefront/landing.html", {"demo_users": DEMO_USERS})
