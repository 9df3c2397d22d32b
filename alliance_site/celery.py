"""The Celery app: `celery -A alliance_site worker` and `celery -A alliance_site beat`.

Tasks live in each app's `tasks.py` (found by autodiscovery) and are thin wrappers
around plain functions that the management commands call too. Run exactly one beat
for the whole deployment; any number of workers. Without a broker (REDIS_URL unset)
settings turn on eager mode and every task runs where it is queued.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_site.settings")

app = Celery("alliance_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **kwargs: object) -> None:
    """The periodic work, queued by the single beat process.

    Built once settings are loaded, so the intervals can be set from the environment
    (the multi-server check shortens the reminders' one to a few seconds).
    """
    sender.conf.beat_schedule = beat_schedule()


def beat_schedule() -> dict[str, dict[str, object]]:
    return {
        "reminders": {
            "task": "alliance.reminders",
            "schedule": float(settings.ALLIANCE_REMINDERS_EVERY_SECONDS),
        },
        "schedules": {
            "task": "alliance.schedules",
            "schedule": float(settings.ALLIANCE_SCHEDULES_EVERY_SECONDS),
        },
        "exports": {
            "task": "alliance.exports",
            "schedule": float(settings.ALLIANCE_EXPORTS_EVERY_SECONDS),
        },
        "clean-up": {
            "task": "alliance.clean_up",
            "schedule": float(settings.ALLIANCE_CLEAN_UP_EVERY_SECONDS),
        },
        "refresh-alliance": {
            "task": "alliance.refresh",
            "schedule": crontab(hour=settings.ALLIANCE_REFRESH_HOUR, minute=30),
        },
        # After the refresh, and after a nightly backup that cron starts before it.
        "retention": {
            "task": "alliance.retention",
            "schedule": crontab(hour=(settings.ALLIANCE_REFRESH_HOUR + 1) % 24, minute=30),
        },
    }
