"""The example site's Celery app: ``celery -A config worker`` and ``celery -A config beat``.

Settings prefixed ``CELERY_`` in :mod:`config.settings` configure it; tasks are discovered in the
``tasks.py`` module of every installed app (the kit's periodic tasks included).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
