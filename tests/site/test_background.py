"""Background work: the Celery app, eager mode without a broker, the beat schedule,
runs recorded in the database with retries, and the console's panel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from alliance_site.celery import app, beat_schedule
from assessments.questionnaires.reminders import RemindersRun
from clinicians import background
from clinicians.models import BackgroundRun, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_app_is_found_by_celery_dash_a_alliance_site() -> None:
    import alliance_site

    assert alliance_site.celery_app is app
    app.loader.import_default_modules()
    names = set(app.tasks)
    for task in (
        "alliance.reminders",
        "alliance.refresh",
        "alliance.exports",
        "alliance.clean_up",
        "alliance.export_run",
        "alliance.import_save",
    ):
        assert task in names


def test_without_a_broker_tasks_run_in_process(settings: Any) -> None:
    # Tests run with no REDIS_URL, as `make run` does on a fresh machine.
    assert not settings.CELERY_BROKER_URL
    assert settings.CELERY_TASK_ALWAYS_EAGER
    from assessments.tasks import reminders

    reminders.delay()
    run = BackgroundRun.objects.get(name="reminders")
    assert run.runs == 1 and run.last_success_at is not None
    assert run.last_result == "0 reminders sent"


def test_beat_queues_each_periodic_task_of_the_panel() -> None:
    schedule = beat_schedule()
    assert {entry["task"] for entry in schedule.values()} == {
        f"alliance.{p.name}" for p in background.PERIODIC
    }
    app.finalize()  # what `celery beat` does: the schedule is set from the settings
    assert app.conf.beat_schedule.keys() == schedule.keys()
    assert app.conf.timezone == "UTC"


def test_a_failing_task_is_retried_with_back_off_and_shown_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assessments import tasks

    calls = []

    def down(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(tasks, "reminders_send", down)
    result = tasks.reminders.apply()
    assert result.failed()
    # Eager mode runs the retries at once: the first try and five more.
    assert len(calls) == 1 + tasks.reminders.max_retries
    assert tasks.reminders.retry_backoff and tasks.reminders.retry_backoff_max == 600
    run = BackgroundRun.objects.get(name="reminders")
    assert run.failures_in_a_row == len(calls)
    assert run.last_success_at is None
    assert run.last_failure == "The database could not be reached or refused the work."
    assert "Connection refused" not in run.last_failure


def test_a_success_after_failures_clears_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from assessments import tasks

    background.failed("reminders", OSError("disk"))
    tasks.reminders.apply()
    run = BackgroundRun.objects.get(name="reminders")
    assert run.failures_in_a_row == 0
    assert run.last_success_at > run.last_failure_at


def test_the_panel_shows_failing_late_and_working(admin_a: User) -> None:
    now = timezone.now()
    BackgroundRun.objects.create(
        name="reminders",
        last_started_at=now,
        last_success_at=now - timedelta(hours=5),
        last_failure_at=now,
        last_failure="The mail server refused the email or could not be reached.",
        failures_in_a_row=3,
    )
    BackgroundRun.objects.create(
        name="exports", last_started_at=now, last_success_at=now, last_result="0 exports written"
    )
    page = client_for(admin_a).get("/console/background/")
    assert page.status_code == 200
    html = page.content.decode()
    rows = {
        name: html.split(f'data-task="{name}"')[1].split("</tr>")[0]
        for name in ("reminders", "refresh", "exports", "clean_up")
    }
    assert "Failing" in rows["reminders"] and "The mail server refused" in rows["reminders"]
    assert "3 failures in a row" in rows["reminders"]
    assert "Late or never run" in rows["refresh"] and "never" in rows["refresh"]
    assert "Working" in rows["exports"] and "0 exports written" in rows["exports"]
    assert "No task queue is configured" in html  # the tests run without a broker


def test_the_panel_is_one_query(admin_a: User, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        background.panel()


def test_reminders_task_sends_through_the_plain_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assessments import tasks

    monkeypatch.setattr(tasks, "reminders_send", lambda: RemindersRun(sent=7, failed=0))
    assert tasks.reminders.apply().get() == "7 reminders sent"
    monkeypatch.setattr(tasks, "reminders_send", lambda: RemindersRun(sent=5, failed=2))
    assert tasks.reminders.apply().get() == "5 reminders sent, 2 failed"
    assert mail.outbox == []
