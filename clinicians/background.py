"""Background work (Celery tasks): the base class that records each run, and what the
console's "Background work" panel shows.

Every task of every app uses `TrackedTask`: a run writes its start, success or failure
to `BackgroundRun`, and a failure is retried with growing waits (30 s, 60 s, 2 min …
up to 10 min, 5 times) before it is given up. This app must not import the others, so
the panel names their tasks by string.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from celery.exceptions import Retry
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import BackgroundRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    label: Any
    # The setting with beat's interval in seconds (None: daily); a task without a
    # success for twice its interval is shown as late.
    every_setting: str | None

    @property
    def every(self) -> timedelta:
        if self.every_setting is None:
            return timedelta(days=1)
        return timedelta(seconds=int(getattr(settings, self.every_setting, 3600)))


# What the panel lists, in this order (names as in alliance_site.celery.beat_schedule).
PERIODIC = (
    Periodic("reminders", _("Reminder emails"), "ALLIANCE_REMINDERS_EVERY_SECONDS"),
    Periodic("schedules", _("Scheduled questionnaires"), "ALLIANCE_SCHEDULES_EVERY_SECONDS"),
    Periodic("refresh", _("Nightly alliance refresh"), None),
    Periodic("exports", _("Background exports"), "ALLIANCE_EXPORTS_EVERY_SECONDS"),
    Periodic(
        "clean_up",
        _("Clean-up: expired export files, old rate-limit counters"),
        "ALLIANCE_CLEAN_UP_EVERY_SECONDS",
    ),
    Periodic(
        "retention",
        _("Retention: import names, expired sessions, old export files and audit lines"),
        None,
    ),
)


def plain_reason(exc: BaseException) -> str:
    """A failure in words an admin can act on; the details go to the server log only."""
    name = exc.__class__.__name__
    module = exc.__class__.__module__
    if isinstance(exc, DatabaseError):
        return str(_("The database could not be reached or refused the work."))
    if module.startswith("smtplib"):
        return str(_("The mail server refused the email or could not be reached."))
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return str(_("A server it needs (mail, database or Redis) did not answer."))
    if isinstance(exc, OSError):
        return str(_("A file could not be written or read (disk full or no permission?)."))
    return str(_("An unexpected error (%(kind)s); the server log has the details.")) % {
        "kind": name
    }


def _row(name: str) -> None:
    BackgroundRun.objects.get_or_create(name=name)


def _update(name: str, **fields: Any) -> None:
    """Best effort: losing a panel line must never fail the work it describes."""
    try:
        with transaction.atomic():
            _row(name)
            BackgroundRun.objects.filter(name=name).update(**fields)
    except DatabaseError:
        log.warning("could not record background run %s", name, exc_info=True)


def started(name: str) -> None:
    _update(name, last_started_at=timezone.now(), runs=F("runs") + 1)


def succeeded(name: str, result: object) -> None:
    text = "" if result is None else str(result)
    _update(name, last_success_at=timezone.now(), last_result=text[:300], failures_in_a_row=0)


def failed(name: str, exc: BaseException) -> None:
    _update(
        name,
        last_failure_at=timezone.now(),
        last_failure=plain_reason(exc)[:300],
        failures_in_a_row=F("failures_in_a_row") + 1,
    )


class TrackedTask(Task):
    """A task whose every run is recorded for the console, retried with back-off."""

    abstract = True
    autoretry_for = (Exception,)
    retry_backoff = 30
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    # Short name for the panel, e.g. "reminders"; defaults to the task name's last part.
    track_as = ""

    def _track_name(self) -> str:
        return self.track_as or str(self.name).rsplit(".", 1)[-1]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = self._track_name()
        started(name)
        try:
            result = super().__call__(*args, **kwargs)
        except Retry as retry:
            failed(name, retry.exc if isinstance(retry.exc, BaseException) else retry)
            raise
        except Exception as exc:
            failed(name, exc)
            raise
        succeeded(name, result)
        return result


@dataclass(frozen=True)
class PanelLine:
    name: str
    label: Any
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure: str
    last_result: str
    failures_in_a_row: int
    late: bool
    failing: bool


def panel(now: datetime | None = None) -> list[PanelLine]:
    """One line per periodic task, whether or not it ever ran (one query)."""
    now = now or timezone.now()
    rows = {r.name: r for r in BackgroundRun.objects.filter(name__in=[p.name for p in PERIODIC])}
    out = []
    for p in PERIODIC:
        r = rows.get(p.name) or BackgroundRun(name=p.name)
        failing = bool(
            r.last_failure_at and (not r.last_success_at or r.last_failure_at > r.last_success_at)
        )
        late = r.last_success_at is None or r.last_success_at < now - 2 * p.every
        out.append(
            PanelLine(
                name=p.name,
                label=p.label,
                last_started_at=r.last_started_at,
                last_success_at=r.last_success_at,
                last_failure_at=r.last_failure_at,
                last_failure=r.last_failure,
                last_result=r.last_result,
                failures_in_a_row=r.failures_in_a_row,
                late=late,
                failing=failing,
            )
        )
    return out
