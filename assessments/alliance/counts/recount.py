"""Counting the sent and completed questionnaires afresh: the check that the kept counts
are right, and their rebuild (`manage.py recount_sent`, a clinic's time zone change, a
database filled in bulk without the services).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clinicians.models import Clinic

from ...models import AccessLink, Administration, AdministrationStatus, Rater
from .models import SentCount

Key = tuple[int, date]  # therapist id, day
Figures = tuple[int, int]  # sent, completed

# Grouped in PostgreSQL: a few thousand rows come back for a clinic's whole history.
_GROUPED = """
    SELECT therapist_id, (created_at AT TIME ZONE %s)::date AS day,
           count(*), count(*) FILTER (WHERE status = %s)
    FROM assessments_administration
    WHERE clinic_id = %s AND rater = %s AND sent_by_link
    GROUP BY 1, 2
"""


@dataclass(frozen=True)
class Drift:
    clinic_id: int
    therapist_id: int
    day: date
    kept: Figures
    counted: Figures


def _counted_in_python(clinic: Clinic) -> dict[Key, Figures]:
    sent: Counter[Key] = Counter()
    done: Counter[Key] = Counter()
    zone = clinic.zone
    rows = Administration.objects.filter(
        clinic=clinic, rater=Rater.CLIENT, sent_by_link=True
    ).values_list("therapist_id", "created_at", "status")
    for therapist_id, created_at, status in rows.iterator(chunk_size=5000):
        key = (therapist_id, timezone.localtime(created_at, zone).date())
        sent[key] += 1
        done[key] += status == AdministrationStatus.COMPLETED
    return {key: (n, done[key]) for key, n in sent.items()}


def counted(clinic: Clinic) -> dict[Key, Figures]:
    """The clinic's counts as they should be, from its questionnaires."""
    if connection.vendor == "postgresql":
        try:
            # A savepoint: a zone name PostgreSQL does not know fails only this try.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    _GROUPED,
                    [clinic.zone.key, AdministrationStatus.COMPLETED, clinic.pk, Rater.CLIENT],
                )
                return {(t, d): (s, c) for t, d, s, c in cursor.fetchall()}
        except DatabaseError:
            pass
    return _counted_in_python(clinic)


def kept(clinic: Clinic) -> dict[Key, Figures]:
    rows = SentCount.objects.filter(clinic=clinic).values_list(
        "therapist_id", "day", "sent", "completed"
    )
    return {(t, d): (s, c) for t, d, s, c in rows if s or c}


def _clinics(clinic_ids: Iterable[int] | None) -> list[Clinic]:
    clinics = Clinic.objects.order_by("pk")
    return list(clinics if clinic_ids is None else clinics.filter(pk__in=list(clinic_ids)))


def unmarked() -> int:
    """Questionnaires that have a link but are not marked as sent by link (made in bulk,
    bypassing `issue_link`)."""
    return Administration.objects.filter(
        sent_by_link=False, pk__in=AccessLink.objects.values("administration_id")
    ).count()


def drift(clinic_ids: Iterable[int] | None = None) -> list[Drift]:
    """Every (clinic, therapist, day) whose kept counts differ from a recount."""
    found = []
    for clinic in _clinics(clinic_ids):
        have, want = kept(clinic), counted(clinic)
        for key in sorted(have.keys() | want.keys()):
            if have.get(key, (0, 0)) != want.get(key, (0, 0)):
                found.append(
                    Drift(clinic.pk, key[0], key[1], have.get(key, (0, 0)), want.get(key, (0, 0)))
                )
    return found


def rebuild(clinic_ids: Iterable[int] | None = None) -> int:
    """Mark every questionnaire that has a link, then replace the clinics' counts with a
    recount; returns the number of rows written. Safe while submissions go on (see
    the comments); takes a few seconds for 150,000 questionnaires."""
    clinics = _clinics(clinic_ids)
    written = 0
    with transaction.atomic():
        # Links only ever get added, so the mark only goes from false to true.
        Administration.objects.filter(
            clinic__in=clinics,
            sent_by_link=False,
            pk__in=AccessLink.objects.values("administration_id"),
        ).update(sent_by_link=True)
        if connection.vendor == "postgresql":
            # Taken after the marks (a submission holding a questionnaire's row waits for
            # neither), before the recount: running submissions finish first and are in
            # it; later ones wait and then add to the rows written here.
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE assessments_sentcount IN SHARE ROW EXCLUSIVE MODE")
        for clinic in clinics:
            want = counted(clinic)
            SentCount.objects.filter(clinic=clinic).delete()
            SentCount.objects.bulk_create(
                (
                    SentCount(clinic=clinic, therapist_id=t, day=d, sent=s, completed=c)
                    for (t, d), (s, c) in want.items()
                ),
                batch_size=5000,
            )
            written += len(want)
    return written
