"""The audit table is append-only in the database too (PostgreSQL trigger).

The trigger's contract: UPDATE is always refused; DELETE is refused unless the
transaction has set `alliance.audit_prune` to 'on' (SET LOCAL) and the row is older
than six years. The retention prune is the only code that sets it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clinicians import audit
from clinicians.models import AuditEvent, User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the append-only trigger exists on PostgreSQL only (production and CI); "
        "SQLite, the zero-setup default, relies on the model's refusal",
    ),
]


def _line(admin: User, *, age: timedelta = timedelta(0)) -> AuditEvent:
    event = audit.build(action="client_viewed", actor=admin)
    event.at = timezone.now() - age
    event.save(force_insert=True)
    return event


def _raw(sql: str, *params: object) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_a_raw_update_is_refused(admin_a: User) -> None:
    event = _line(admin_a)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE clinicians_auditevent SET action = 'x' WHERE id = %s", event.pk)
    event.refresh_from_db()
    assert event.action == "client_viewed"


def test_a_raw_delete_is_refused(admin_a: User) -> None:
    event = _line(admin_a, age=timedelta(days=7 * 366))
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM clinicians_auditevent WHERE id = %s", event.pk)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_even_the_prune_setting_cannot_update(admin_a: User) -> None:
    event = _line(admin_a, age=timedelta(days=7 * 366))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL alliance.audit_prune = 'on'")
        cursor.execute("UPDATE clinicians_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_the_prune_deletes_only_lines_older_than_six_years(admin_a: User) -> None:
    old = _line(admin_a, age=timedelta(days=6 * 366 + 1))
    recent = _line(admin_a, age=timedelta(days=6 * 365 - 2))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL alliance.audit_prune = 'on'")
        cursor.execute("DELETE FROM clinicians_auditevent WHERE id = %s", [old.pk])
        assert cursor.rowcount == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL alliance.audit_prune = 'on'")
        cursor.execute("DELETE FROM clinicians_auditevent WHERE id = %s", [recent.pk])
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db(transaction=True)  # real COMMITs: SET LOCAL must end with each
def test_the_prune_setting_ends_with_its_transaction(admin_a: User) -> None:
    old = _line(admin_a, age=timedelta(days=7 * 366))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL alliance.audit_prune = 'on'")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM clinicians_auditevent WHERE id = %s", old.pk)


def test_inserting_still_works(admin_a: User) -> None:
    before = AuditEvent.objects.count()
    _line(admin_a)
    assert AuditEvent.objects.count() == before + 1
