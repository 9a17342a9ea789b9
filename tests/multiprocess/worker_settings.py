"""Settings of the Celery worker the multi-process tests start: the test settings, on the test
process's own database (``TEST_DATABASE_NAME``), with e-mails written to files."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, ECOMMERCE_KIT

DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
ECOMMERCE_KIT = {**ECOMMERCE_KIT, "PLUGINS": ["tests.multiprocess.slow_plugin"]}
