"""Background tasks of this app: thin wrappers around the plain functions that the
management commands call too (`send_reminders`, `refresh_alliance`)."""

from __future__ import annotations

from celery import shared_task

from clinicians.background import TrackedTask

from .alliance.summaries import refresh_all
from .questionnaires import throttle
from .questionnaires.reminders import reminders_send
from .schedules.runner import schedules_run


@shared_task(base=TrackedTask, name="alliance.reminders")
def reminders() -> str:
    # Safe twice at once: each reminder is claimed by one conditional UPDATE.
    run = reminders_send()
    # A failed email is recorded on its questionnaire (and retried at the next run when
    # the mail server, not the address, was at fault); the panel shows the count.
    return f"{run.sent} reminders sent" + (f", {run.failed} failed" if run.failed else "")


@shared_task(base=TrackedTask, name="alliance.refresh")
def refresh() -> str:
    lines = refresh_all()
    swept = throttle.sweep()
    return f"{len(lines)} clinics refreshed; {swept} old rate-limit counters removed"


@shared_task(base=TrackedTask, name="alliance.schedules")
def schedules() -> str:
    # Safe twice at once and after a crash: see assessments/schedules/runner.py.
    run = schedules_run()
    return f"{run.fired} scheduled questionnaires due, {run.sent} emailed" + (
        f", {run.failed} failed" if run.failed else ""
    )
