"""The example site's settings, plus the floor's URLs under ``/floor/`` and no throttles.

``DJANGO_SETTINGS_MODULE=bench.floor.settings`` with the repository root, ``src`` and
``example_project`` on ``PYTHONPATH``. Used by ``bench/floor_compare.py`` only.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import ECOMMERCE_KIT

ROOT_URLCONF = "bench.floor.urls"

# Throttles off: the comparison measures the cost of a request, not the rate limits.
ECOMMERCE_KIT = {
    **ECOMMERCE_KIT,
    "THROTTLE_RATES": {
        "ecommerce_kit.cart": None,
        "ecommerce_kit.checkout": None,
        "ecommerce_kit.payment": None,
        "ecommerce_kit.review": None,
    },
}

# Order e-mails are rendered and handed to a backend that drops them: the measurement is of the
# site, not of an SMTP server (there is none on a benchmark machine; connecting would fail).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
