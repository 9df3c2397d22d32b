"""Backup, restore and the restore drill, against PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from alliance_site import restore_drill
from alliance_site.backup_crypto import new_key, parse_key
from alliance_site.backups import create_database, drop_database
from assessments.models import OccasionKind, Response
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, User

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backups need PostgreSQL"
)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    raw = new_key()
    monkeypatch.setenv("ALLIANCE_BACKUP_KEY", raw)
    monkeypatch.setenv("ALLIANCE_BACKUP_DIR", str(tmp_path))
    return raw


@pytest.fixture
def answered(therapist_a1: User, client_a1: Patient, settings: Any) -> list[Response]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return [
        staff_entry_submit(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            rater="client",
            occasion=Occasion(OccasionKind.SESSION, n, "", date(2026, 1, n)),
            answers={i: (n + i) % 5 + 1 for i in range(1, 13)},
        )
        for n in range(1, 4)
    ]


# A caseload row, not an audit line: the restored audit table refuses deletes (trigger).
LOSE_ONE_ROW = (
    "DELETE FROM clinicians_caseassignment "
    "WHERE id = (SELECT min(id) FROM clinicians_caseassignment)"
)


def database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@pytest.mark.django_db
def test_backup_on_sqlite_says_what_to_do_instead(key: str) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match=r"copy db\.sqlite3"):
        call_command("backup")


@pytest.mark.django_db
def test_backup_without_a_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLIANCE_BACKUP_KEY", raising=False)
    with pytest.raises(CommandError, match="backup --new-key"):
        call_command("backup")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_drill_passes_on_a_faithful_restore_and_drops_its_database(
    key: str, answered: list[Response], admin_a: User
) -> None:
    report = restore_drill.run_drill(key=parse_key(key), say=lambda _: None)
    assert report.passed, report.lines()
    assert report.responses == 3 and report.tables > 20
    assert report.rows >= 3 + 36  # the responses and their answers at least
    assert report.page.endswith(": 200")
    assert not database_exists(report.database)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_drill_finds_a_stored_score_that_its_answers_do_not_give(
    key: str, answered: list[Response], admin_a: User
) -> None:
    # The model refuses edits; a damaged row is made behind its back.
    Response.objects.filter(pk=answered[1].pk).update(total_pomp=12.5)
    out = StringIO()
    with pytest.raises(CommandError, match="differences"):
        call_command("restore_drill", "--name", "alliance_drill_test_scores", stdout=out)
    assert f"response {answered[1].pk} total_pomp: stored 12.5" in out.getvalue()
    assert "RESULT: FAIL" in out.getvalue()
    assert not database_exists("alliance_drill_test_scores")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_drill_finds_a_row_that_did_not_come_back(
    key: str, answered: list[Response], admin_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    faithful = restore_drill.restore

    def lossy(source: Path, key: bytes, *, into: str, alias: str = "default") -> int:
        size = faithful(source, key, into=into)
        conn = restore_drill._connect(into)
        with conn, conn.cursor() as cursor:
            cursor.execute(LOSE_ONE_ROW)
        conn.close()
        return size

    monkeypatch.setattr(restore_drill, "restore", lossy)
    report = restore_drill.run_drill(key=parse_key(key), say=lambda _: None)
    assert report.table_mismatches == ["clinicians_caseassignment"]
    assert not report.passed


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database(
    key: str, answered: list[Response], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = StringIO()
    call_command("backup", stdout=out)
    assert "Copy it off this server" in out.getvalue()
    (dump,) = tmp_path.glob("alliance-*.dump.enc")
    assert dump.stat().st_mode & 0o777 == 0o600
    assert b"A-001" not in dump.read_bytes()  # encrypted at rest
    name = "alliance_restore_test"
    drop_database(name)
    create_database(name)
    try:
        call_command("restore", "--latest", "--into", name, stdout=StringIO())
        conn = restore_drill._connect(name)
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM assessments_response")
            assert cursor.fetchone()[0] == 3
        conn.close()
        # A second restore into the same (now full) database is refused.
        with pytest.raises(CommandError, match="not empty"):
            call_command("restore", str(dump), "--into", name)
        # A wrong key or a changed file: nothing restored, a plain message.
        monkeypatch.setenv("ALLIANCE_BACKUP_KEY", new_key())
        with pytest.raises(CommandError, match="key is wrong"):
            call_command("restore", str(dump), "--into", name)
    finally:
        drop_database(name)


@postgres_only
@pytest.mark.django_db
def test_client_tools_older_than_the_server_are_refused(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance_site import backups

    monkeypatch.setattr(backups, "client_major", lambda tool: backups.server_major() - 1)
    with pytest.raises(CommandError, match="install the client tools of version"):
        call_command("backup")
