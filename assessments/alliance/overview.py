"""The clinic overview (Console → Alliance): per therapist, then the flagged clients with
their therapist, how long each flag has been open and whether it was discussed, then the
overdue ones. Filtering and counting happen in the database; flags are worked out in
Python only for the rows shown, so the page costs the same whatever the clinic's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.alliance.dashboards import CaseloadRow, rows_for
from assessments.alliance.low import LowRule, low_rule_for
from assessments.alliance.summaries import gap_threshold
from clinicians.access import patients_visible_to
from clinicians.models import CaseAssignment, Clinic, Patient, PatientStatus, User

from ..models import Administration, AdministrationStatus, Rater
from .clinic_stats import TherapistStats, therapist_stats

# "Not discussed within 14 days": the flag was raised this long ago and nobody has
# marked it discussed since.
STALE_DAYS = 14


@dataclass(frozen=True)
class OverdueRow:
    pk: int
    code: str
    prompt: str  # the overdue flag's prompt, as the caseload words it


@dataclass
class ClinicOverview:
    stats: list[TherapistStats]
    flagged: Page  # of CaseloadRow, one page at a time
    overdue: list[OverdueRow]  # the first OVERDUE_LISTED
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
    active = patients_visible_to(user).filter(status=PatientStatus.ACTIVE)
    stats = therapist_stats(clinic, active, start, end)
    today, now = clinic.today(), timezone.now()
    low = low_rule_for(clinic)
    flagged = active.filter(_stale_filter(low, today) if stale_only else _flagged_filter(low))
    flagged_ids, flagged_page = _page(flagged.order_by("code", "pk"), page)
    flagged_rows = rows_for(_listed(flagged_ids), clinic, low)
    _add_therapists(flagged_rows)
    flagged_page.object_list = flagged_rows
    overdue = active.filter(_overdue_filter(clinic, today, now)).order_by("code", "pk")
    overdue_rows, overdue_count = _overdue(overdue, clinic, today, now)
    return ClinicOverview(
        stats,
        flagged_page,
        overdue_rows,
        overdue_count,
        start,
        end,
        stale_only,
        low,
    )


FLAGGED_PER_PAGE = 50


class _Counted(Paginator):
    """A paginator told its count (read with the page's rows) instead of counting."""

    def __init__(self, total: int, per_page: int) -> None:
        super().__init__([], per_page)
        self.total = total

    @property
    def count(self) -> int:  # type: ignore[override]
        return self.total


def _ids_and_total(ordered: QuerySet[Patient], offset: int, limit: int) -> tuple[list[int], int]:
    """The ids of one slice and the number of all rows, in one query (a window count
    over the whole result, before LIMIT); past the end, no ids and a total of 0."""
    rows = list(
        ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")[
            offset : offset + limit
        ]
    )
    return [pk for pk, _ in rows], rows[0][1] if rows else 0


def _page(ordered: QuerySet[Patient], number: str | int | None) -> tuple[list[int], Page]:
    """Page `number` of the clients' ids (as Paginator.get_page reads it: not a number is
    the first page, past the end the last). A count and the page's ids: PostgreSQL
    stops reading at the page's end, which a window count over all rows would not."""
    total = ordered.count()
    paginator = _Counted(total, FLAGGED_PER_PAGE)
    try:
        wanted = min(max(1, int(number or 1)), paginator.num_pages)
    except (TypeError, ValueError):
        wanted = 1
    offset = (wanted - 1) * FLAGGED_PER_PAGE
    ids = list(ordered.values_list("pk", flat=True)[offset : offset + FLAGGED_PER_PAGE])
    return ids, Page(ids, wanted, paginator)


def _listed(ids: list[int]) -> QuerySet[Patient]:
    return Patient.objects.filter(pk__in=ids).order_by("code", "pk")


def _overdue(
    overdue: QuerySet[Patient], clinic: Clinic, today: date, now: datetime
) -> tuple[list[OverdueRow], int]:
    """The first OVERDUE_LISTED overdue clients with the overdue flag's prompt, and how
    many there are, in one query: only code, dates and the latest expired link are read
    (the list shows nothing else), not each client's summary and flags. The prompt is
    the caseload's overdue rule (`dashboards._flags`) on those figures; a test keeps the
    two the same."""
    expired = Administration.objects.filter(
        patient=OuterRef("pk"),
        status=AdministrationStatus.OPEN,
        rater=Rater.CLIENT,
        expires_at__lte=now,
    ).order_by("-created_at")
    rows = list(
        overdue.annotate(
            total=Window(Count("pk")), expired_made=Subquery(expired.values("created_at")[:1])
        ).values_list(
            "pk", "code", "activated_on", "alliance__completed_at", "expired_made", "total"
        )[:OVERDUE_LISTED]
    )
    zone, listed = clinic.zone, []
    for pk, code, activated_on, completed_at, expired_made, _total in rows:
        last_done = timezone.localtime(completed_at, zone).date() if completed_at else None
        since = last_done or activated_on
        if expired_made is not None and (
            last_done is None or timezone.localtime(expired_made, zone).date() >= last_done
        ):
            prompt = _(
                "The last questionnaire link expired unanswered: ask again, or use the kiosk."
            )
        elif (today - since).days > clinic.overdue_days:
            prompt = _(
                "No questionnaire for %(days)s days: ask for one after the next session."
            ) % {"days": (today - since).days}
        else:
            continue  # the database's rule is by instants, the caseload's by days
        listed.append(OverdueRow(pk, code, prompt))
    return listed, rows[0][5] if rows else 0


def overview_valid_until(clinic: Clinic, today: date, now: datetime) -> datetime:
    """When the overview stops being right without any write: at the next expiry of one
    of the clinic's open links (that client turns overdue), or at the clinic's midnight
    (days open, the overdue rule)."""
    midnight = timezone.make_aware(
        datetime.combine(today + timedelta(days=1), time.min), clinic.zone
    )
    next_expiry = Administration.objects.filter(
        clinic=clinic,
        status=AdministrationStatus.OPEN,
        rater=Rater.CLIENT,
        expires_at__gt=now,
    ).aggregate(first=Min("expires_at"))["first"]
    return min(midnight, next_expiry) if next_expiry else midnight


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
