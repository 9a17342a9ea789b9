"""Settings of the example host site.

Everything that differs between a laptop and a server comes from the environment:

- ``DJANGO_DEBUG`` (``1``/``true``/``yes``/``on``; default off)
- ``SECRET_KEY`` (required unless ``DJANGO_DEBUG`` is on, when a development key is used)
- ``ALLOWED_HOSTS`` (comma separated; default ``localhost,127.0.0.1,[::1]``)
- ``DATABASE_URL`` (default: the SQLite file ``db.sqlite3`` beside ``manage.py``, in WAL mode)
- ``REDIS_URL`` (optional: Redis as cache and Celery broker; without it a local-memory cache is
  used and Celery tasks run eagerly, in the process that sends them)
- ``DJANGO_SECURE_SSL_REDIRECT``, ``DJANGO_SECURE_COOKIES``, ``DJANGO_HSTS_SECONDS``,
  ``DJANGO_HSTS_PRELOAD``, ``DJANGO_TRUST_X_FORWARDED_PROTO`` (HTTPS behaviour, see
  ``docs/deployment.md``)
- ``DJANGO_NUM_PROXIES`` (how many proxies in front of Django append to ``X-Forwarded-For``;
  unset: clients are identified by ``REMOTE_ADDR``)
- ``DUMMY_GATEWAY_WEBHOOK_SECRET`` (the built-in ``dummy`` payment gateway's webhook secret)
- ``DJANGO_EMAIL_BACKEND`` (default: the console in ``DJANGO_DEBUG``, where the order e-mails are
  printed; SMTP otherwise), ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``,
  ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``, ``DEFAULT_FROM_EMAIL``
- ``DJANGO_LOG_LEVEL`` (default ``INFO``)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

import ecommerce_kit
from ecommerce_kit.api.enums import ENUM_NAME_OVERRIDES

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable; anything unrecognised is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable (for local development only, "
            "DJANGO_DEBUG=1 uses a built-in development key instead)."
        )
    SECRET_KEY = "django-insecure-example-project-development-key-do-not-deploy"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The kit, and the apps it builds on (rest_framework, django_filters, djmoney,
    # django_countries)
    *ecommerce_kit.INSTALLED_APPS,
    # This site: JWT sign-in, the OpenAPI document and Swagger UI
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "demo",
    # The shopper's pages under /shop/ (and the landing page, sign-in and sign-up)
    "storefront",
    "desk",  # the seller's pages under /desk/
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storefront.context_processors.shop",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction starts (no deadlock on lock upgrade), readers
    # do not block writers (WAL), and a busy database is waited for instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: tasks run in the process that sends them, so the demo needs no worker.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "cancel-unpaid-orders": {
        "task": "ecommerce_kit.orders.cancel_unpaid_orders",
        "schedule": timedelta(minutes=5),
    },
    "purge-stale-carts": {
        "task": "ecommerce_kit.cart.purge_stale_carts",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-idempotency-keys": {
        "task": "ecommerce_kit.orders.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=45),
    },
    "retry-payment-calls": {
        "task": "ecommerce_kit.payments.retry_payment_calls",
        "schedule": timedelta(minutes=5),
    },
    "send-pending-emails": {
        "task": "ecommerce_kit.emails.send_pending",
        "schedule": timedelta(minutes=5),
    },
}

# --- E-mail -----------------------------------------------------------------------------------

# The kit e-mails buyers and sellers about their orders. With DJANGO_DEBUG they are printed on the
# console (make demo shows them in its output); otherwise they go through SMTP.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mercado Kwanza <loja@demo.example>")

# --- Auth -------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The kit's views bring their own DRF configuration and take only the authentication from here;
# the rest is for this site's own views (the auth endpoints).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The kit's JSON parser answers a body nested too deeply with 400 (DRF's lets a 500 through).
    "DEFAULT_PARSER_CLASSES": [
        "ecommerce_kit.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "ecommerce_kit.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
if os.environ.get("DJANGO_NUM_PROXIES"):
    # How many proxies in front of Django append to X-Forwarded-For: throttles then identify a
    # client by the address the outermost one saw. Unset: REMOTE_ADDR, the header is ignored.
    REST_FRAMEWORK["NUM_PROXIES"] = int(os.environ["DJANGO_NUM_PROXIES"])

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}

# The storefront's and the seller's desk's pages sign in with Django's session.
LOGIN_URL = "storefront:sign-in"
LOGIN_REDIRECT_URL = "storefront:home"
LOGOUT_REDIRECT_URL = "storefront:home"

#: Requests per client address to ``auth/register/``, ``auth/token/`` and friends (None: off).
ACCOUNTS_AUTH_THROTTLE_RATE = os.environ.get("ACCOUNTS_AUTH_THROTTLE_RATE", "30/min") or None

# --- The kit ----------------------------------------------------------------------------------

ECOMMERCE_KIT = {
    "DEFAULT_CURRENCY": "AOA",
    "CURRENCIES": ["AOA", "USD", "EUR"],
    # Count the product list exactly up to 1,000 matches, estimate beyond (large catalogs).
    "PRODUCT_COUNT_EXACT_UP_TO": 1000,
    "PAYMENT_GATEWAYS": {
        "dummy": {
            "webhook_secret": os.environ.get("DUMMY_GATEWAY_WEBHOOK_SECRET", "demo-webhook-secret"),
        },
        # Pay by reference (entity, reference, expiry), completed by a signed webhook: the
        # example's own gateway (demo/gateways.py), signed like the dummy's, with the same secret.
        "demo_reference": {
            "webhook_secret": os.environ.get("DUMMY_GATEWAY_WEBHOOK_SECRET", "demo-webhook-secret"),
            "expires_in_hours": 48,
        },
    },
    "PLUGINS": ["demo.gateways"],
}

# --- OpenAPI ----------------------------------------------------------------------------------

SPECTACULAR_SETTINGS = {
    "TITLE": "ecommerce_kit example API",
    "DESCRIPTION": "The example host site of ecommerce_kit: catalog, cart, checkout, orders, "
    "payments, reviews and wishlists, with JWT authentication.",
    "VERSION": ecommerce_kit.__version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: served from STATIC_URL, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Names for the kit's status enums (orders, fulfilments and payments all have a "status").
    "ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES,
}

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt", "Português")]
TIME_ZONE = "Africa/Luanda"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Security ---------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets (and never passes through) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a commitment for the whole domain: opt in with DJANGO_HSTS_PRELOAD=1.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)

#: Sent by :class:`config.middleware.ContentSecurityPolicyMiddleware` on every response. Swagger
#: UI (served by ``SpectacularSwaggerSplitView`` with a template free of inline code) and the admin
#: work under it; SVG icons in their style sheets are ``data:`` images.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Logging ----------------------------------------------------------------------------------

LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "console"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "ecommerce_kit": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # No handler of its own, and propagated: a Celery worker replaces the root logger's
        # handlers with its own (--loglevel) and empties the "celery" logger's, so a handler here
        # with propagate off would silence the worker's log.
        "celery": {"level": "INFO"},
    },
}
