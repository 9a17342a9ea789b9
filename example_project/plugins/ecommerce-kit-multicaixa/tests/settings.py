"""Django settings for this distribution's tests: the kit's apps, SQLite in memory, no network.

``[tool.pytest.ini_options]`` in ``pyproject.toml`` names this module, so ``pytest`` and
``python -m pytest`` both run from the distribution's folder without more options.
"""

from __future__ import annotations

import ecommerce_kit

SECRET_KEY = "multicaixa-tests-only"  # noqa: S105
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    *ecommerce_kit.INSTALLED_APPS,
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ECOMMERCE_KIT = {
    "DEFAULT_CURRENCY": "AOA",
    "CURRENCIES": ["AOA", "USD"],
    # Installed gateway plugins stay out: the contract registers the plugin under test itself.
    "PLUGINS_AUTOLOAD": False,
}
