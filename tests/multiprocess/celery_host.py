"""A host's Celery app on the Redis at ``REDIS_URL``, configured as docs/deployment.md says.

The worker runs it as ``celery -A tests.multiprocess.celery_host worker``; the test process makes
it current so that the kit sends its tasks through the broker.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.multiprocess.worker_settings")

app = Celery("host", set_as_current=False)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    broker_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    task_always_eager=False,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    # A message taken by a worker that died goes back to the queue once it is this many seconds
    # old (Redis's default: an hour), found by a scan every interval x throttle seconds (kombu's
    # default: 100). Short here so that the test sees it.
    broker_transport_options={
        "visibility_timeout": 4,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    broker_connection_retry_on_startup=True,
)
app.autodiscover_tasks()
