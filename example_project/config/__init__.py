"""The example host site's project package.

The Celery app is imported here so that ``@shared_task`` functions bind to it as soon as Django
starts (the layout Celery's Django guide recommends).
"""

from __future__ import annotations

from config.celery import app as celery_app

__all__ = ["celery_app"]
