"""Settings for the test suite.

The database is SQLite (a file, so that concurrency tests can use several connections) unless
``DATABASE_URL`` points elsewhere, e.g. ``postgres://user@127.0.0.1:5433/ecommerce_kit``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url

from ecommerce_kit.api.enums import ENUM_NAME_OVERRIDES

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt", "Português")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "djmoney",
    "django_countries",
    "drf_spectacular",
    "ecommerce_kit",
    "ecommerce_kit.catalog",
    "ecommerce_kit.cart",
    "ecommerce_kit.orders",
    "ecommerce_kit.payments",
    "ecommerce_kit.reviews",
    "ecommerce_kit.wishlist",
    # The example site's auth app (tests/example_project): its migration adds the unique indexes
    # on usernames and e-mail addresses that registration relies on.
    "accounts",
    # The example site's storefront (its templates and template tags; tests/example_project).
    "storefront",
]
# ``accounts`` lives in example_project/: importable wherever these settings are used (pytest,
# mypy's django-stubs, the docs build, makemessages).
_EXAMPLE_PROJECT = str(BASE_DIR.parent / "example_project")
if _EXAMPLE_PROJECT not in sys.path:
    sys.path.append(_EXAMPLE_PROJECT)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefront.context_processors.shop",
            ]
        },
    }
]
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_SQLITE_TEST_FILE = os.path.join(tempfile.gettempdir(), f"ecommerce_kit_test_{os.getpid()}.sqlite3")

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.gettempdir(), "ecommerce_kit_dev.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": _SQLITE_TEST_FILE},
        }
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    # Session authentication alone: the kit's views still answer anonymous clients 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {"ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES}

CELERY_TASK_ALWAYS_EAGER = True

ECOMMERCE_KIT = {
    "DEFAULT_CURRENCY": "AOA",
    "CURRENCIES": ["AOA", "USD", "EUR"],
    # Throttles are exercised by their own tests with explicit rates.
    "THROTTLE_RATES": {
        "ecommerce_kit.cart": None,
        "ecommerce_kit.checkout": None,
        "ecommerce_kit.payment": None,
        "ecommerce_kit.review": None,
    },
}
