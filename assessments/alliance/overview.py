"""The clinic overview (Console → Alliance): per therapist, then the flagged clients with
their therapist, how long each flag has been open and whether it was discussed, then the
overdue ones. Filtering and counting happen in the database; flags are worked out in
Python only for the rows shown, so the page costs the same whatever the clinic's size.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from assessments.alliance.dashboards import CaseloadRow, rows_for
from assessments.alliance.low import LowRule, low_rule_for
from assessments.alliance.summaries import gap_threshold
from clinicians.access import patients_visible_to
from clinicians.models import CaseAssignment, Clinic, Patient, PatientStatus, Role, User

from ..models import AccessLink, Administration, AdministrationStatus, Rater

# "Not discussed within 14 days": the flag was raised this long ago and nobody has
# marked it discussed since.
STALE_DAYS = 14


@dataclass
class TherapistStats:
    therapist: User
    active_clients: int = 0
    sent: int = 0
    completed: int = 0
    pomps: list[float] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        return 100.0 * self.completed / self.sent if self.sent else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.pomps) if self.pomps else None

    @property
    def spread(self) -> tuple[float, float] | None:
        """The middle half (first to third quartile) of the latest totals."""
        if len(self.pomps) < 2:
            return None
        q = statistics.quantiles(self.pomps, n=4, method="inclusive")
        return (q[0], q[2])


@dataclass
class ClinicOverview:
    stats: list[TherapistStats]
    flagged: Page  # of CaseloadRow, one page at a time
    overdue: list[CaseloadRow]  # the first OVERDUE_LISTED
    overdue_count: int
    start: date
    end: date
    stale_only: bool = False
    low: LowRule | None = None


OVERDUE_LISTED = 200


def _rule_flags() -> Q:
    return Q(alliance__rupture=True) | Q(alliance__dropping=True) | Q(alliance__first_dip=True)


def _latest_flags(low: LowRule) -> Q:
    gap = gap_threshold()
    return (
        Q(alliance__total_pomp__isnull=False) & low.q()
        | Q(alliance__gap__gte=gap)
        | Q(alliance__gap__lte=-gap)
    )


def _flagged_filter(low: LowRule) -> Q:
    """The stored flags in SQL, so the clinic's flagged clients are found without
    computing every client's flags in Python."""
    return _rule_flags() | _latest_flags(low)


def _stale_filter(low: LowRule, today: date) -> Q:
    """Flags raised more than STALE_DAYS ago and not discussed since (the same rule as
    `CaseloadRow.discussed`, in SQL): rule flags count from the questionnaire that raised
    them, low and different views from the latest questionnaire; by session date."""
    cutoff = today - timedelta(days=STALE_DAYS)
    return (
        _rule_flags()
        & Q(alliance__discussion__isnull=True)
        & Q(alliance__flag_raised_on__lt=cutoff)
    ) | (
        _latest_flags(low)
        & Q(alliance__discussed_latest=False)
        & Q(alliance__session_date__lt=cutoff)
    )


def _overdue_filter(clinic: Clinic, today: date, now: datetime) -> Q:
    cutoff = today - timedelta(days=clinic.overdue_days)
    # Midnight of the cutoff day on the clinic's calendar (and a range, which the index
    # on completed_at can serve, rather than a __date lookup in the session's zone).
    cutoff_start = timezone.make_aware(datetime.combine(cutoff, time.min), clinic.zone)
    expired_link = Administration.objects.filter(
        patient=OuterRef("pk"),
        status=AdministrationStatus.OPEN,
        rater=Rater.CLIENT,
        expires_at__lte=now,
    )
    return (
        Q(alliance__completed_at__lt=cutoff_start)
        | Q(alliance__completed_at__isnull=True, activated_on__lt=cutoff)
        | Q(Exists(expired_link.filter(created_at__gte=OuterRef("alliance__completed_at"))))
        | Q(Exists(expired_link), alliance__completed_at__isnull=True)
    )


def clinic_overview(
    user: User,
    *,
    start: date,
    end: date,
    page: str | int | None = None,
    stale_only: bool = False,
) -> ClinicOverview:
    """Per therapist: caseload, questionnaires sent and completed in the period, and
    the distribution of their clients' latest totals; then the flagged and the overdue
    clients. Filtering and counting happen in the database; flags are worked out in
    Python only for the rows shown."""
    clinic = user.clinic
    therapists = list(
        User.objects.filter(clinic=clinic, role=Role.THERAPIST, is_active=True).order_by(
            "display_name", "email"
        )
    )
    stats = {t.pk: TherapistStats(t) for t in therapists}
    active = patients_visible_to(user).filter(status=PatientStatus.ACTIVE)
    for therapist_id, pomp in active.filter(assignments__ended_at__isnull=True).values_list(
        "assignments__therapist_id", "alliance__total_pomp"
    ):
        s = stats.get(therapist_id)
        if s is None:
            continue
        s.active_clients += 1
        if pomp is not None:
            s.pomps.append(pomp)
    # A datetime range (not created_at__date) lets the index on created_at serve it.
    first = timezone.make_aware(datetime.combine(start, time.min), clinic.zone)
    after = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), clinic.zone)
    sent_by_link = Exists(AccessLink.objects.filter(administration=OuterRef("pk")))
    counts = (
        Administration.objects.filter(
            clinic=clinic, rater=Rater.CLIENT, created_at__gte=first, created_at__lt=after
        )
        .filter(sent_by_link)  # sent as a link or code, not typed in from paper
        .values("therapist_id")
        .annotate(
            sent=Count("id"),
            done=Count("id", filter=Q(status=AdministrationStatus.COMPLETED)),
        )
    )
    for c in counts:
        if c["therapist_id"] in stats:
            stats[c["therapist_id"]].sent = c["sent"]
            stats[c["therapist_id"]].completed = c["done"]
    today, now = clinic.today(), timezone.now()
    low = low_rule_for(clinic)
    flagged = active.filter(_stale_filter(low, today) if stale_only else _flagged_filter(low))
    flagged_page = Paginator(flagged.order_by("code", "pk"), FLAGGED_PER_PAGE).get_page(page)
    flagged_rows = rows_for(
        Patient.objects.filter(pk__in=[p.pk for p in flagged_page.object_list]).order_by(
            "code", "pk"
        ),
        clinic,
        low,
    )
    _add_therapists(flagged_rows)
    flagged_page.object_list = flagged_rows
    overdue_ids = list(
        active.filter(_overdue_filter(clinic, today, now))
        .order_by("code", "pk")
        .values_list("pk", flat=True)
    )
    overdue_count = len(overdue_ids)
    overdue_rows = rows_for(
        Patient.objects.filter(pk__in=overdue_ids[:OVERDUE_LISTED]).order_by("code", "pk"),
        clinic,
        low,
    )
    return ClinicOverview(
        list(stats.values()),
        flagged_page,
        [r for r in overdue_rows if "overdue" in r.flag_codes],
        overdue_count,
        start,
        end,
        stale_only,
        low,
    )


FLAGGED_PER_PAGE = 50


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=90), today


def _add_therapists(rows: list[CaseloadRow]) -> None:
    """Each listed client's current therapist, in one query for the page."""
    by_patient = {
        a.patient_id: a.therapist
        for a in CaseAssignment.objects.filter(
            patient_id__in=[r.patient.pk for r in rows], ended_at__isnull=True
        ).select_related("therapist")
    }
    for row in rows:
        row.therapist = by_patient.get(row.patient.pk)
