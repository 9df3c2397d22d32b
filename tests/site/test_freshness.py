"""The page cache's data version: every write to client data retires what was cached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from alliance_site import freshness
from clinicians.models import AuditEvent, Clinic, Patient


def test_which_statements_count_as_writes() -> None:
    assert freshness.writes_client_data('INSERT INTO "clinicians_patient" ("code") VALUES (%s)')
    assert freshness.writes_client_data('UPDATE "assessments_administration" SET "status" = %s')
    assert freshness.writes_client_data('DELETE FROM "assessments_answer" WHERE "id" = %s')
    assert freshness.writes_client_data("  update assessments_alliancesummary set total_pomp=1")
    assert not freshness.writes_client_data('SELECT "id" FROM "clinicians_patient"')
    assert not freshness.writes_client_data('INSERT INTO "django_session" ("session_key")')
    assert not freshness.writes_client_data('INSERT INTO "clinicians_auditevent" ("action")')
    assert not freshness.writes_client_data('UPDATE "assessments_throttle" SET "hits" = 2')


@given(st.sampled_from(sorted(freshness.QUIET_TABLES)), st.sampled_from(["INSERT INTO", "UPDATE"]))
def test_quiet_tables_never_count(table: str, verb: str) -> None:
    assert not freshness.writes_client_data(f'{verb} "{table}" x')


@pytest.mark.django_db
def test_a_write_changes_the_version_and_a_quiet_one_does_not(clinic_a: Clinic) -> None:
    before = freshness.version()
    AuditEvent.objects.create(action="client_list_viewed", clinic=clinic_a)
    assert freshness.version() == before
    Patient.objects.create(clinic=clinic_a, code="V-1")
    after = freshness.version()
    assert after != before
    # Bulk updates and raw SQL are seen too: the wrapper reads the statements.
    Patient.objects.filter(code="V-1").update(display_name="Vera")
    assert freshness.version() != after
    after = freshness.version()
    with connection.cursor() as cur:
        cur.execute("UPDATE clinicians_patient SET display_name = 'V' WHERE code = 'V-1'")
    assert freshness.version() != after


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_it_bumps_at_each_write_and_once_after_commit() -> None:
    clinic = Clinic.objects.create(name="Bump", slug="bump")
    freshness.version()  # this thread has read the version since its last write
    seen: list[str | None] = []
    with mock.patch.object(freshness, "bump", wraps=freshness.bump) as bumped:
        with transaction.atomic():
            Patient.objects.create(clinic=clinic, code="B-1")
            Patient.objects.create(clinic=clinic, code="B-2")
            Patient.objects.filter(clinic=clinic).update(display_name="x")
            assert bumped.call_count == 1  # once, not per statement
            seen.append(freshness.version())
            # A write after a read bumps again: the read may have stored a part.
            Patient.objects.create(clinic=clinic, code="B-3")
            assert bumped.call_count == 2
            assert freshness.version() != seen[0]
        assert bumped.call_count == 3  # and once after the commit, not per statement
    assert freshness.version() != seen[0]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_the_next_one_bumping() -> None:
    clinic = Clinic.objects.create(name="Roll", slug="roll")
    freshness.version()
    with mock.patch.object(freshness, "bump", wraps=freshness.bump) as bumped:
        with pytest.raises(RuntimeError), transaction.atomic():
            Patient.objects.create(clinic=clinic, code="R-1")
            raise RuntimeError
        assert bumped.call_count == 1  # nothing after a rollback
        freshness.version()
        with transaction.atomic():
            Patient.objects.create(clinic=clinic, code="R-2")
        assert bumped.call_count == 3


def build_counter() -> tuple[list[int], Any]:
    calls: list[int] = []

    def build() -> tuple[str, None]:
        calls.append(1)
        return f"<p>built {len(calls)}</p>", None

    return calls, build


@pytest.mark.django_db
def test_a_part_is_served_from_the_cache_until_the_data_changes(clinic_a: Clinic) -> None:
    calls, build = build_counter()
    now = timezone.now()
    first = freshness.cached_part("t", (1, "en"), build, now=now)
    assert freshness.cached_part("t", (1, "en"), build, now=now) == first == "<p>built 1</p>"
    assert freshness.cached_part("t", (2, "en"), build, now=now) == "<p>built 2</p>"
    Patient.objects.create(clinic=clinic_a, code="C-1")
    assert freshness.cached_part("t", (1, "en"), build, now=now) == "<p>built 3</p>"
    assert len(calls) == 3


@pytest.mark.django_db
def test_a_part_lives_no_longer_than_it_says() -> None:
    now = timezone.now()
    with mock.patch.object(cache, "set", wraps=cache.set) as stored:
        freshness.cached_part("t", (), lambda: ("x", now + timedelta(seconds=42)), now=now)
        freshness.cached_part("u", (), lambda: ("x", now + timedelta(hours=9)), now=now)
        freshness.cached_part("w", (), lambda: ("x", now), now=now)  # already over
    lives = [c.args[2] for c in stored.call_args_list if c.args[0].startswith("alliance:part")]
    assert lives == [42, freshness.MAX_SECONDS]


def test_off_or_failing_cache_builds_every_time(settings: Any) -> None:
    calls, build = build_counter()
    now = timezone.now()
    settings.ALLIANCE_PAGE_CACHE = False
    freshness.cached_part("t", (), build, now=now)
    freshness.cached_part("t", (), build, now=now)
    assert len(calls) == 2
    settings.ALLIANCE_PAGE_CACHE = True
    with mock.patch.object(cache, "get", side_effect=ConnectionError("down")):
        assert freshness.cached_part("t", (), build, now=now) == "<p>built 3</p>"
    with mock.patch.object(cache, "set", side_effect=ConnectionError("down")):
        freshness.bump()  # logged, not raised


@pytest.mark.django_db
def test_every_write_after_a_cached_read_is_seen_in_one_transaction(clinic_a: Clinic) -> None:
    calls, build = build_counter()
    now = timezone.now()
    freshness.cached_part("t", (), build, now=now)
    for n in range(3):
        Patient.objects.create(clinic=clinic_a, code=f"W-{n}")
        assert freshness.cached_part("t", (), build, now=now) == f"<p>built {n + 2}</p>"
    assert len(calls) == 4
