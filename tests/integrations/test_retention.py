"""Retention: import batches forget names and emails, expired sessions and old export
files go, audit lines go after the retention period (never under 6 years)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinicians import audit
from clinicians.models import AuditEvent, ImportBatch, ImportStatus, User
from clinicians.retention import audit_prune, import_batches_forget, sessions_clear
from integrations import retention
from integrations.conf import export_storage
from integrations.models import ExportJob, ExportStatus
from integrations.services import export_files_expire
from tests.site.test_settings import run_django

pytestmark = pytest.mark.django_db

ROWS = [
    {"line": 2, "code": "N-1", "name": "Nina New", "email": "nina@example.test", "outcome": "new"},
    {"line": 3, "code": "N-2", "name": "Ned", "email": "ned@example.test", "outcome": "error"},
]


def batch(admin: User, days_old: int, status: str = ImportStatus.DONE) -> ImportBatch:
    made = ImportBatch.objects.create(
        clinic=admin.clinic, created_by=admin, rows=ROWS, status=status
    )
    ImportBatch.objects.filter(pk=made.pk).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    made.refresh_from_db()
    return made


def test_old_batches_lose_names_and_emails_and_keep_codes(admin_a: User) -> None:
    old_done = batch(admin_a, 31)
    old_ready = batch(admin_a, 31, ImportStatus.READY)
    fresh = batch(admin_a, 29, ImportStatus.READY)
    assert import_batches_forget() == 2
    for b in (old_done, old_ready):
        b.refresh_from_db()
        assert [(r["code"], r["name"], r["email"]) for r in b.rows] == [
            ("N-1", "", ""),
            ("N-2", "", ""),
        ]
        assert b.identity_removed_at is not None
    assert old_done.status == ImportStatus.DONE
    # A preview never confirmed in a month is discarded: it cannot be confirmed nameless.
    assert old_ready.status == ImportStatus.DISCARDED
    fresh.refresh_from_db()
    assert fresh.rows == ROWS and fresh.status == ImportStatus.READY
    assert import_batches_forget() == 0  # idempotent


def test_the_number_of_days_is_a_setting(admin_a: User, settings: Any) -> None:
    settings.ALLIANCE_IMPORT_RETENTION_DAYS = 7
    b = batch(admin_a, 8)
    assert import_batches_forget() == 1
    b.refresh_from_db()
    assert b.rows[0]["name"] == ""


def test_a_batch_being_saved_is_left_alone(admin_a: User) -> None:
    b = batch(admin_a, 40, ImportStatus.SAVING)
    assert import_batches_forget() == 0
    b.refresh_from_db()
    assert b.rows == ROWS


def test_expired_sessions_are_cleared_and_live_ones_stay() -> None:
    live = SessionStore()
    live["x"] = 1
    live.create()
    old = SessionStore()
    old["x"] = 2
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert sessions_clear() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def aged_line(years: float, clinic: Any) -> AuditEvent:
    # A line cannot be changed once written (on PostgreSQL a trigger refuses it), so the
    # test writes it with its age from the start.
    line = audit.build(action="client_viewed", clinic=clinic, actor_label="x")
    line.at = timezone.now() - timedelta(days=round(365.25 * years))
    line.save()
    return line


def test_audit_lines_older_than_six_years_go_and_the_pruning_is_recorded(clinic_a: Any) -> None:
    old = aged_line(6.1, clinic_a)
    kept = aged_line(5.9, clinic_a)
    assert audit_prune() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    record = AuditEvent.objects.get(action="audit_pruned")
    assert record.detail["deleted"] == 1
    assert audit_prune() == 0


def test_a_longer_period_keeps_more(clinic_a: Any, settings: Any) -> None:
    settings.ALLIANCE_AUDIT_RETENTION_YEARS = 8
    line = aged_line(7, clinic_a)
    assert audit_prune() == 0
    assert AuditEvent.objects.filter(pk=line.pk).exists()


def test_fewer_than_six_years_is_refused(clinic_a: Any, settings: Any) -> None:
    settings.ALLIANCE_AUDIT_RETENTION_YEARS = 5
    line = aged_line(5.5, clinic_a)
    with pytest.raises(ImproperlyConfigured, match="at least 6"):
        audit_prune()
    assert AuditEvent.objects.filter(pk=line.pk).exists()


def test_the_app_refuses_to_start_with_fewer_than_six_years() -> None:
    result = run_django({"ALLIANCE_AUDIT_RETENTION_YEARS": "3"}, "check")
    assert result.returncode != 0
    assert "ALLIANCE_AUDIT_RETENTION_YEARS must be at least 6" in result.stderr


def finished_export(admin: User, name: str, hours_ago: int) -> ExportJob:
    export_storage().save(name, StringIO("code\nA-001\n"))
    return ExportJob.objects.create(
        clinic=admin.clinic,
        created_by=admin,
        format="csv",
        status=ExportStatus.DONE,
        file_name=name,
        finished_at=timezone.now() - timedelta(hours=hours_ago),
    )


def test_export_files_go_after_a_day_through_the_storage(admin_a: User) -> None:
    old = finished_export(admin_a, "export-old.csv", 25)
    new = finished_export(admin_a, "export-new.csv", 23)
    assert export_files_expire() == 1
    storage = export_storage()
    assert not storage.exists("export-old.csv") and storage.exists("export-new.csv")
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and old.file_name == ""
    assert new.status == ExportStatus.DONE


def test_the_command_runs_every_job_and_says_what_it_did(admin_a: User) -> None:
    batch(admin_a, 31)
    finished_export(admin_a, "export-old.csv", 25)
    out = StringIO()
    call_command("retention", stdout=out)
    text = out.getvalue()
    assert "import batches forgotten: 1" in text
    assert "export files deleted: 1" in text
    assert "expired sessions cleared: 0" in text
    assert "audit lines pruned: 0" in text


def test_one_failing_job_does_not_stop_the_others(
    admin_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = batch(admin_a, 31)

    def broken() -> int:
        raise RuntimeError("disk on fire")

    # The broken job runs before the import job in this order.
    monkeypatch.setattr(
        retention,
        "JOBS",
        {"expired sessions cleared": broken, "import batches forgotten": import_batches_forget},
    )
    with pytest.raises(CommandError, match="1 retention job"):
        call_command("retention", stdout=StringIO(), stderr=StringIO())
    b.refresh_from_db()
    assert b.identity_removed_at is not None


# The trigger the audit table gets on PostgreSQL (its migration lives with the audit
# work): DELETE only for lines past the minimum retention, and only in a transaction
# that set alliance.audit_prune. Installed here to prove the pruning passes it.
AUDIT_TRIGGER = """
CREATE OR REPLACE FUNCTION test_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('alliance.audit_prune', true) = 'on'
     AND OLD.at < now() - interval '6 years' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_audit_append_only BEFORE UPDATE OR DELETE ON clinicians_auditevent
  FOR EACH ROW EXECUTE FUNCTION test_audit_append_only();
"""


def test_the_pruning_passes_an_append_only_trigger_that_refuses_everything_else(
    clinic_a: Any,
) -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    old = aged_line(6.5, clinic_a)
    with connection.cursor() as cursor:
        cursor.execute(AUDIT_TRIGGER)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=old.pk).delete()
    assert audit_prune() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
