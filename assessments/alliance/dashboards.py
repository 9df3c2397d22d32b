"""Reads for the dashboards: the therapist's caseload and the clinic overview.

Both read one AllianceSummary row per client (kept current on every write), so they
cost a fixed number of queries whatever the number of clients or questionnaires.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.alliance.summaries import gap_threshold
from assessments.alliance.wording import numbers, prompts
from clinicians.access import patients_visible_to
from clinicians.models import Clinic, Patient, PatientStatus, Role, User

from ..models import AccessLink, Administration, AdministrationStatus, AllianceSummary, Rater


@dataclass(frozen=True)
class Flag:
    code: str
    label: str  # short, for the badge
    prompt: str  # the conversation it suggests; never a verdict
    numbers: str = ""  # the figures behind it (drop, RCI, threshold, norms), for tooltips

    @property
    def title(self) -> str:
        return f"{self.prompt} {self.numbers}".strip()


FLAG_CODES = ("low", "dropping", "rupture", "first_dip", "overdue", "gap")


def flag_names() -> dict[str, str]:
    return {
        "low": _("Low"),
        "dropping": _("Dropping"),
        "rupture": _("Possible rupture"),
        "first_dip": _("First dip"),
        "overdue": _("Overdue"),
        "gap": _("Different views"),
    }


@dataclass
class CaseloadRow:
    patient: Patient
    summary: AllianceSummary | None
    flags: list[Flag] = field(default_factory=list)
    waiting: Administration | None = None

    @property
    def flag_codes(self) -> set[str]:
        return {f.code for f in self.flags}


def _flags(
    patient: Patient,
    summary: AllianceSummary | None,
    clinic: Clinic,
    open_links: list[Administration],
    today: date,
    now: datetime,
    names: dict[str, str],
) -> list[Flag]:
    flags: list[Flag] = []
    if summary is not None and summary.total_pomp is not None:
        if summary.total_pomp < clinic.low_pomp_threshold:
            flags.append(
                Flag(
                    "low",
                    names["low"],
                    _(
                        "The alliance is below the clinic's threshold: "
                        "worth asking how the work together feels."
                    ),
                )
            )
        said = prompts()
        details = summary.flag_details or {}
        for code in ("rupture", "dropping", "first_dip"):
            if getattr(summary, code) and (code != "dropping" or not summary.rupture):
                flags.append(
                    Flag(code, names[code], said[code], numbers(code, details.get(code, {})))
                )
        if summary.gap is not None and abs(summary.gap) >= gap_threshold():
            flags.append(
                Flag(
                    "gap",
                    names["gap"],
                    _("You and the client see the same session differently: compare notes."),
                )
            )
    expired = [a for a in open_links if a.expires_at <= now]
    zone = clinic.zone
    last_done = (
        timezone.localtime(summary.completed_at, zone).date()
        if summary and summary.completed_at
        else None
    )
    since = last_done or patient.activated_on
    if expired and (
        last_done is None or timezone.localtime(expired[0].created_at, zone).date() >= last_done
    ):
        flags.append(
            Flag(
                "overdue",
                names["overdue"],
                _("The last questionnaire link expired unanswered: ask again, or use the kiosk."),
            )
        )
    elif (today - since).days > clinic.overdue_days:
        flags.append(
            Flag(
                "overdue",
                names["overdue"],
                _("No questionnaire for %(days)s days: ask for one after the next session.")
                % {"days": (today - since).days},
            )
        )
    return flags


def _rows(patients: QuerySet[Patient], clinic: Clinic) -> list[CaseloadRow]:
    patients = patients.select_related("alliance")
    listed = list(patients)
    open_by_patient: dict[int, list[Administration]] = defaultdict(list)
    for a in (
        Administration.objects.filter(
            patient__in=[p.pk for p in listed],
            status=AdministrationStatus.OPEN,
            rater=Rater.CLIENT,
        )
        .only(
            "id",
            "patient_id",
            "expires_at",
            "created_at",
            "session_date",
            "form_code",
            "occasion",
            "session_number",
            "occasion_note",
        )
        .order_by("-created_at")
    ):
        open_by_patient[a.patient_id].append(a)
    today, now = clinic.today(), timezone.now()
    names = flag_names()  # translated once per page, not once per client
    rows = []
    for p in listed:
        summary = getattr(p, "alliance", None)
        links = open_by_patient.get(p.pk, [])
        waiting = next((a for a in links if a.expires_at > now), None)
        flags = _flags(p, summary, clinic, links, today, now, names)
        rows.append(CaseloadRow(p, summary, flags, waiting))
    return rows


SORTS = {
    "code": lambda r: (r.patient.code.lower(),),
    "total": lambda r: (
        r.summary is None or r.summary.total_pomp is None,
        r.summary.total_pomp if r.summary and r.summary.total_pomp is not None else 0,
    ),
    "change": lambda r: (
        r.summary is None or r.summary.change is None,
        r.summary.change if r.summary and r.summary.change is not None else 0,
    ),
    "last": lambda r: (
        r.summary is None or r.summary.session_date is None,
        -(r.summary.session_date.toordinal()) if r.summary and r.summary.session_date else 0,
    ),
    "flags": lambda r: (-len(r.flags), r.patient.code.lower()),
}


def caseload_rows(user: User) -> list[CaseloadRow]:
    """The therapist's active clients with their latest scores and flags."""
    patients = patients_visible_to(user).filter(status=PatientStatus.ACTIVE)
    return _rows(patients, user.clinic)


def caseload_overview(user: User, *, flag: str = "", sort: str = "flags") -> list[CaseloadRow]:
    return filter_and_sort(caseload_rows(user), flag=flag, sort=sort)


def waiting_in(rows: list[CaseloadRow]) -> list[tuple[Patient, Administration]]:
    """Questionnaires sent and still open, soonest to expire first (from rows already
    loaded: no query, whatever else the database holds)."""
    waiting = [(r.patient, r.waiting) for r in rows if r.waiting is not None]
    return sorted(waiting, key=lambda pair: pair[1].expires_at)


def filter_and_sort(rows: list[CaseloadRow], *, flag: str, sort: str) -> list[CaseloadRow]:
    if flag == "any":
        rows = [r for r in rows if r.flags]
    elif flag in FLAG_CODES:
        rows = [r for r in rows if flag in r.flag_codes]
    rows.sort(key=SORTS.get(sort, SORTS["flags"]))
    return rows


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


OVERDUE_LISTED = 200


def _flagged_filter(clinic: Clinic) -> Q:
    """The stored flags in SQL, so the clinic's flagged clients are found without
    computing every client's flags in Python."""
    gap = gap_threshold()
    return (
        Q(alliance__total_pomp__lt=clinic.low_pomp_threshold)
        | Q(alliance__rupture=True)
        | Q(alliance__dropping=True)
        | Q(alliance__first_dip=True)
        | Q(alliance__gap__gte=gap)
        | Q(alliance__gap__lte=-gap)
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
    user: User, *, start: date, end: date, page: str | int | None = None
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
    flagged_page = Paginator(
        active.filter(_flagged_filter(clinic)).order_by("code", "pk"), FLAGGED_PER_PAGE
    ).get_page(page)
    flagged_rows = _rows(
        Patient.objects.filter(pk__in=[p.pk for p in flagged_page.object_list]).order_by(
            "code", "pk"
        ),
        clinic,
    )
    flagged_page.object_list = flagged_rows
    overdue_ids = list(
        active.filter(_overdue_filter(clinic, today, now))
        .order_by("code", "pk")
        .values_list("pk", flat=True)
    )
    overdue_count = len(overdue_ids)
    overdue_rows = _rows(
        Patient.objects.filter(pk__in=overdue_ids[:OVERDUE_LISTED]).order_by("code", "pk"),
        clinic,
    )
    return ClinicOverview(
        list(stats.values()),
        flagged_page,
        [r for r in overdue_rows if "overdue" in r.flag_codes],
        overdue_count,
        start,
        end,
    )


FLAGGED_PER_PAGE = 50


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=90), today
