"""The example site's settings module, loaded with different environments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.example_project.conftest import EXAMPLE_DIR, load_example_settings

PRODUCTION = {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "shop.example.ao, api.example.ao"}


def test_settings_refuse_to_start_without_secret_key_outside_debug():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_example_settings({})


def test_settings_use_a_development_key_only_in_debug():
    settings = load_example_settings({"DJANGO_DEBUG": "true"})

    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"].startswith("django-insecure-")


def test_settings_reject_an_unrecognised_boolean():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        load_example_settings({"DJANGO_DEBUG": "maybe"})


def test_settings_read_allowed_hosts_from_the_environment():
    settings = load_example_settings(PRODUCTION)

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["shop.example.ao", "api.example.ao"]


def test_settings_default_to_a_sqlite_file_in_wal_mode():
    database = load_example_settings({"DJANGO_DEBUG": "1"})["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(EXAMPLE_DIR / "db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] > 0
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_settings_use_database_url():
    database = load_example_settings(
        {**PRODUCTION, "DATABASE_URL": "postgres://shop:pw@db.internal:5432/shop"}
    )["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5432, "shop")
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_settings_without_redis_use_local_memory_and_eager_tasks():
    settings = load_example_settings({"DJANGO_DEBUG": "1"})

    assert settings["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True


def test_settings_with_redis_use_it_for_cache_and_celery():
    settings = load_example_settings({**PRODUCTION, "REDIS_URL": "redis://cache:6379/1"})

    assert settings["CACHES"]["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://cache:6379/1"
    assert settings["CELERY_BROKER_URL"] == "redis://cache:6379/1"
    assert settings["CELERY_RESULT_BACKEND"] == "redis://cache:6379/1"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is False


def test_settings_schedule_the_kit_periodic_tasks():
    schedule = load_example_settings({"DJANGO_DEBUG": "1"})["CELERY_BEAT_SCHEDULE"]

    from celery import Task

    from ecommerce_kit import tasks as core_tasks
    from ecommerce_kit.cart import tasks as cart_tasks
    from ecommerce_kit.orders import tasks as order_tasks
    from ecommerce_kit.payments import tasks as payment_tasks

    kit_tasks = {
        task.name
        for module in (core_tasks, cart_tasks, order_tasks, payment_tasks)
        for task in vars(module).values()
        if isinstance(task, Task)
    }
    # Every task but the one that sends each e-mail (queued by the kit itself) is periodic.
    periodic = kit_tasks - {"ecommerce_kit.emails.send"}
    assert periodic == {
        "ecommerce_kit.orders.cancel_unpaid_orders",
        "ecommerce_kit.orders.purge_idempotency_keys",
        "ecommerce_kit.cart.purge_stale_carts",
        "ecommerce_kit.payments.retry_payment_calls",
        "ecommerce_kit.emails.send_pending",
    }
    assert {entry["task"] for entry in schedule.values()} == periodic


def test_settings_print_emails_on_the_console_in_debug_and_use_smtp_otherwise():
    debug = load_example_settings({"DJANGO_DEBUG": "1"})
    production = load_example_settings({**PRODUCTION, "EMAIL_HOST": "smtp.example.ao"})
    chosen = load_example_settings(
        {**PRODUCTION, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    )

    assert debug["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert production["EMAIL_HOST"] == "smtp.example.ao"
    assert chosen["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"


def test_settings_send_hsts_and_secure_cookies_only_outside_debug():
    production = load_example_settings(PRODUCTION)
    debug = load_example_settings({"DJANGO_DEBUG": "1"})

    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SECURE_SSL_REDIRECT"] is False
    assert "SECURE_HSTS_SECONDS" not in debug
    assert not debug["SESSION_COOKIE_SECURE"]
    assert (
        load_example_settings({**PRODUCTION, "DJANGO_SECURE_SSL_REDIRECT": "1"})[
            "SECURE_SSL_REDIRECT"
        ]
        is True
    )


def test_settings_configure_the_dummy_gateway_secret_from_the_environment():
    settings = load_example_settings({**PRODUCTION, "DUMMY_GATEWAY_WEBHOOK_SECRET": "s3cret"})

    assert settings["ECOMMERCE_KIT"]["PAYMENT_GATEWAYS"]["dummy"]["webhook_secret"] == "s3cret"


def test_settings_rotate_and_blacklist_refresh_tokens():
    jwt = load_example_settings({"DJANGO_DEBUG": "1"})["SIMPLE_JWT"]

    assert jwt["ROTATE_REFRESH_TOKENS"] is True
    assert jwt["BLACKLIST_AFTER_ROTATION"] is True


def test_settings_parse_json_with_the_kits_parser():
    # The site's own views (auth) then answer JSON nested too deeply with 400, not 500.
    settings = load_example_settings({"DJANGO_DEBUG": "1"})

    parsers = settings["REST_FRAMEWORK"]["DEFAULT_PARSER_CLASSES"]
    assert parsers[0] == "ecommerce_kit.api.parsers.JSONParser"
    assert "rest_framework.parsers.JSONParser" not in parsers


def test_settings_logging_leaves_a_celery_workers_log_visible(tmp_path, monkeypatch):
    """A worker (``celery -A config worker --loglevel=info``) empties the ``celery`` logger's
    handlers and gives the root logger its own: the example's logging must let the worker's
    records (``ready.``, each task received and done) propagate to it."""
    import logging
    import logging.config

    from celery import Celery
    from celery.app.log import Logging

    config = load_example_settings({"DJANGO_DEBUG": "1"})["LOGGING"]
    root = logging.getLogger()
    names = ["", *config["loggers"]]
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate)
        for name, logger in ((name, logging.getLogger(name)) for name in names)
    }
    for key in ("_MP_FORK_LOGLEVEL_", "_MP_FORK_LOGFILE_", "_MP_FORK_LOGFORMAT_"):
        monkeypatch.delenv(key, raising=False)
    logfile = tmp_path / "worker.log"
    try:
        logging.config.dictConfig(config)
        Logging._setup = False
        Celery("config", set_as_current=False).log.setup_logging_subsystem(
            loglevel="INFO", logfile=str(logfile)
        )
        logging.getLogger("celery.worker.consumer.consumer").info("celery@host ready.")
        for handler in root.handlers:
            handler.flush()
        assert "celery@host ready." in logfile.read_text()
    finally:
        Logging._setup = False
        for handler in root.handlers:
            if handler not in saved[""][0]:
                handler.close()
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.level, logger.propagate = handlers, level, propagate
