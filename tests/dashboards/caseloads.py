"""Caseloads made directly in the database (summary rows, open links) for the caseload
tests: any combination of flags in a few inserts, without scoring questionnaires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from assessments.models import Administration, AllianceSummary, FlagDiscussion, OccasionKind, Rater
from clinicians.models import CaseAssignment, Patient, PatientStatus, User

# A fixed moment (time stands still while one example is compared).
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # a DST night in Europe


@dataclass
class Link:
    created_hours_ago: int
    lasts_hours: int
    status: str


@dataclass
class Client:
    code: str
    active_days: int
    summary: dict[str, object] | None
    links: list[Link]


def make_caseload(
    therapist: User,
    other: User,
    discussion: FlagDiscussion,
    generated: list[Client],
    *,
    strangers: bool = True,
) -> None:
    """The `generated` clients on `therapist`'s caseload (and, with `strangers`, two
    that must not show: a discharged client and `other`'s)."""
    clinic = therapist.clinic
    for n, c in enumerate(generated):
        patient = Patient.objects.create(
            clinic=clinic, code=c.code, activated_on=NOW.date() - timedelta(days=c.active_days)
        )
        CaseAssignment.objects.create(patient=patient, therapist=therapist)
        for link in c.links:
            created = NOW - timedelta(hours=link.created_hours_ago)
            Administration.objects.create(
                clinic=clinic,
                patient=patient,
                therapist=therapist,
                created_by=therapist,
                form_code="wai-sr-client",
                rater=Rater.CLIENT,
                occasion=OccasionKind.SESSION,
                session_number=n + 1,
                session_date=created.date(),
                status=link.status,
                created_at=created,
                expires_at=created + timedelta(hours=link.lasts_hours),
            )
        if c.summary is not None:
            s = dict(c.summary)
            hours = s.pop("completed_hours_ago")
            days = s.pop("session_days_ago")
            AllianceSummary.objects.create(
                patient=patient,
                clinic=clinic,
                completed_at=None if hours is None else NOW - timedelta(hours=hours),
                session_date=None if days is None else NOW.date() - timedelta(days=days),
                discussion=discussion if s.pop("discussed") else None,
                trend=[50.0, 75.0],
                occasion_label="Session 3",
                **s,
            )
    if not strangers:
        return
    # Not on the page: a discharged client, and a colleague's client with a flag.
    gone = Patient.objects.create(
        clinic=clinic,
        code="ZZ-GONE",
        status=PatientStatus.DISCHARGED,
        discharged_on=NOW.date(),
        activated_on=date(2020, 1, 1),
    )
    CaseAssignment.objects.create(patient=gone, therapist=therapist)
    theirs = Patient.objects.create(clinic=clinic, code="ZZ-THEIRS", activated_on=date(2020, 1, 1))
    CaseAssignment.objects.create(patient=theirs, therapist=other)
