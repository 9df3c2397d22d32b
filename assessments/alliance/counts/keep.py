"""Keeping the sent and completed counts, in the transaction of the change.

Two moments change them:

- a questionnaire's first link (`link_issued`, from `questionnaires.links.issue_link`,
  the one place links are made): it is marked sent by link, and counted as sent on the
  day it was made (and as completed too, should it have been answered at the kiosk
  before its email went out);
- its completion (`completed`, where a submission sets the status).

Nothing else changes them: a withdrawal or an expiry leaves a questionnaire sent and
not completed, a correction leaves it completed, a transfer leaves it with the
therapist it was made for, an erasure keeps answers and scores. A paper form or a
therapist's own rating had no link and is never counted.

Each change is one statement that adds to the row (`INSERT … ON CONFLICT DO UPDATE`
with `sent = sent + 1`), never a read-modify-write, so concurrent submissions cannot
lose a count; the mark on the questionnaire is set with a conditional UPDATE on its
row, so two links made at once count it once.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from clinicians.models import Clinic

from ...models import Administration, AdministrationStatus, Rater
from .models import SentCount

_MARK = (
    "UPDATE assessments_administration SET sent_by_link = %s "
    "WHERE id = %s AND NOT sent_by_link RETURNING status"
)
_ADD = (
    "INSERT INTO assessments_sentcount (clinic_id, therapist_id, day, sent, completed) "
    "VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (clinic_id, day, therapist_id) DO UPDATE SET "
    "sent = assessments_sentcount.sent + excluded.sent, "
    "completed = assessments_sentcount.completed + excluded.completed"
)


def day_of(administration: Administration) -> date:
    """The day of the clinic's calendar the questionnaire was made (its count's row)."""
    # The patient's clinic is the administration's; the submission has loaded it.
    clinic = (
        administration.patient.clinic
        if Administration.patient.is_cached(administration)  # type: ignore[attr-defined]
        else administration.clinic
    )
    return timezone.localtime(administration.created_at, clinic.zone).date()


def _add(administration: Administration, *, sent: int, completed: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _ADD,
            [
                administration.clinic_id,
                administration.therapist_id,
                day_of(administration),
                sent,
                completed,
            ],
        )


def link_issued(administration: Administration) -> None:
    """The questionnaire got a link: the first time, it counts as sent (one conditional
    UPDATE and one upsert; later links cost nothing)."""
    if administration.sent_by_link:
        return
    with connection.cursor() as cursor:
        cursor.execute(_MARK, [True, administration.pk])
        row = cursor.fetchone()
    administration.sent_by_link = True
    if row is None or administration.rater != Rater.CLIENT:
        return  # marked already by another link, or not a client's questionnaire
    # The status read under the row's lock: a kiosk answer may have come first.
    _add(administration, sent=1, completed=int(row[0] == AdministrationStatus.COMPLETED))


def completed(administration: Administration) -> None:
    """The questionnaire was just completed; call with its row locked (as a submission
    holds it), so that `sent_by_link` is the current one."""
    if administration.sent_by_link and administration.rater == Rater.CLIENT:
        _add(administration, sent=0, completed=1)


def totals(clinic: Clinic, start: date, end: date) -> dict[int, tuple[int, int]]:
    """Per therapist id: (sent, completed) for questionnaires made from `start` to `end`
    (days of the clinic's calendar, both included)."""
    rows = (
        SentCount.objects.filter(clinic=clinic, day__gte=start, day__lte=end)
        .values("therapist_id")
        .annotate(sent_sum=Sum("sent"), completed_sum=Sum("completed"))
        .values_list("therapist_id", "sent_sum", "completed_sum")
    )
    return {therapist_id: (sent, done) for therapist_id, sent, done in rows}
