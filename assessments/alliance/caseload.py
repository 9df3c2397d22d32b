"""The therapist's caseload page, read in three queries whatever the caseload's size.

The caseload as first written (now the tests' oracle, tests/dashboards/old_caseload.py)
built a model object for every active client and worked out every flag in Python; the
page shows 50. Here the narrow columns of all active clients
come back as tuples (the database works out what needs the links or the clinic's
calendar: whether a link expired unanswered since the last questionnaire, that
questionnaire's day), the flags are worked out from them (the rules of
`dashboards._flags`), filtering, sorting and paging happen on those
(in Python, so that codes sort exactly as `str.lower()` sorts them, which no SQL
collation promises), and only the rows shown are read in full:

1. every active client: code, the sort columns and the flag codes (`_keys`);
2. the clients on the page: what their row shows (`_shown`);
3. the questionnaires still open for answers (`_waiting`): the "Waiting for the
   client" list, the rows' "waiting for the first questionnaire", and the moment the
   page stops being right by itself (the first of them to expire).

tests/dashboards/test_caseload_sql.py checks the flags, the filters and the order
against the old `filter_and_sort` (tests/dashboards/old_caseload.py) over generated
caseloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from assessments.alliance.dashboards import FLAG_CODES, Flag, flag_list, flag_names
from assessments.alliance.discussions import QUESTIONNAIRE_FLAGS, is_discussed
from assessments.alliance.low import LowRule
from assessments.alliance.summaries import gap_threshold
from assessments.alliance.wording import prompts
from clinicians.access import patients_visible_to
from clinicians.models import Clinic, Patient, PatientStatus, User

from ..models import Administration, AdministrationStatus, Rater, occasion_label
from ..schedules.selectors import with_schedule

PAGE_SIZE = 50
WAITING_LISTED = 100


def _expired_link(clinic: Clinic, now: datetime) -> Case:
    """1 where `dashboards._flags` calls the client overdue for a link that expired
    unanswered, else 0 (of a query annotated with `done_day`, the day of the last
    questionnaire on the clinic's clock): one made on or after that day, calendar days
    on the clinic's clock, or any one when there is no questionnaire yet."""
    expired = Administration.objects.filter(
        patient=OuterRef("pk"),
        status=AdministrationStatus.OPEN,
        rater=Rater.CLIENT,
        expires_at__lte=now,
    )
    since_last = expired.annotate(day=TruncDate("created_at", tzinfo=clinic.zone)).filter(
        day__gte=OuterRef("done_day")
    )
    # Never NULL: a client without a summary row has NULL in every joined column.
    return Case(
        When(
            Q(Exists(expired), alliance__completed_at__isnull=True) | Q(Exists(since_last)),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def flag_codes(
    *,
    low: LowRule,
    gap_at: float,
    total: float | None,
    form_code: str,
    rupture: bool,
    dropping: bool,
    first_dip: bool,
    gap: float | None,
    overdue: bool,
) -> frozenset[str]:
    """The codes `dashboards._flags` raises, from the summary's columns."""
    codes: set[str] = set()
    if total is not None:
        if low.is_low(form_code, total):
            codes.add("low")
        if rupture:
            codes.add("rupture")
        elif dropping:  # a rupture is also a drop: shown once, as the rupture
            codes.add("dropping")
        if first_dip:
            codes.add("first_dip")
        if gap is not None and abs(gap) >= gap_at:
            codes.add("gap")
    if overdue:
        codes.add("overdue")
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class ClientKeys:
    """What filtering and sorting need of one active client."""

    pk: int
    code: str
    total: float | None
    change: float | None
    last: date | None
    codes: frozenset[str]
    expired_link: bool
    discussed: bool

    @property
    def needs_attention(self) -> bool:
        """The same rule as `CaseloadRow.needs_attention`."""
        return "overdue" in self.codes or (
            any(c in QUESTIONNAIRE_FLAGS for c in self.codes) and not self.discussed
        )


def _keys(
    patients: QuerySet[Patient], clinic: Clinic, low: LowRule, today: date, now: datetime
) -> list[ClientKeys]:
    # More than overdue_days days since the last questionnaire (or since the client
    # became active, without one).
    cutoff = today - timedelta(days=clinic.overdue_days)
    gap_at = gap_threshold()
    rows = (
        patients.annotate(done_day=TruncDate("alliance__completed_at", tzinfo=clinic.zone))
        .annotate(expired_link=_expired_link(clinic, now))
        .order_by("code")  # as the model's ordering, which the old sorts were stable on
        .values_list(
            "pk",
            "code",
            "activated_on",
            "done_day",
            "expired_link",
            "alliance__total_pomp",
            "alliance__form_code",
            "alliance__rupture",
            "alliance__dropping",
            "alliance__first_dip",
            "alliance__gap",
            "alliance__change",
            "alliance__session_date",
            "alliance__discussion_id",
            "alliance__discussed_latest",
        )
    )
    out = []
    for pk, code, active, done, link, total, form, rup, drop, dip, gap, *rest in rows:
        change, last, discussion_id, latest = rest
        codes = flag_codes(
            low=low,
            gap_at=gap_at,
            total=total,
            form_code=form or "",
            rupture=bool(rup),
            dropping=bool(drop),
            first_dip=bool(dip),
            gap=gap,
            overdue=bool(link) or (done or active) < cutoff,
        )
        out.append(
            ClientKeys(
                pk,
                code,
                total,
                change,
                last,
                codes,
                bool(link),
                # Most clients have no flag a discussion could cover: no call for them.
                bool(codes - {"overdue"})
                and is_discussed(list(codes), discussion_id=discussion_id, latest=bool(latest)),
            )
        )
    return out


def _keep(flag: str) -> Callable[[ClientKeys], bool]:
    """The old `filter_and_sort` filter (tests/dashboards/old_caseload.py), on keys."""
    if flag == "any":
        return lambda k: k.needs_attention
    if flag == "discussed":
        return lambda k: k.discussed
    if flag in FLAG_CODES:
        return lambda k: flag in k.codes and (flag == "overdue" or not k.discussed)
    return lambda k: True


# The orders of `dashboards.SORTS`, on keys (stable sorts over clients in code order).
KEY_SORTS: dict[str, Callable[[ClientKeys], tuple[Any, ...]]] = {
    "code": lambda k: (k.code.lower(),),
    "total": lambda k: (k.total is None, k.total if k.total is not None else 0),
    "change": lambda k: (k.change is None, k.change if k.change is not None else 0),
    "last": lambda k: (k.last is None, -k.last.toordinal() if k.last else 0),
    "flags": lambda k: (not k.needs_attention, -len(k.codes), k.code.lower()),
}


def filtered_keys(keys: list[ClientKeys], *, flag: str, sort: str) -> list[ClientKeys]:
    """The clients the page lists, in its order."""
    keep = _keep(flag)
    return sorted((k for k in keys if keep(k)), key=KEY_SORTS.get(sort, KEY_SORTS["flags"]))


@dataclass(frozen=True, slots=True)
class Discussion:
    at: datetime
    by: str


@dataclass(slots=True)
class ShownRow:
    """One row of the caseload table: the columns it shows, no model objects."""

    pk: int
    code: str
    display_name: str
    flags: list[Flag]
    discussed: bool
    discussion: Discussion | None
    waiting: bool
    next_due: datetime | None
    schedule_failed: bool
    # The latest client questionnaire; total is None when there is none.
    total: float | None = None
    mean: float | None = None
    goal: float | None = None
    task: float | None = None
    bond: float | None = None
    change: float | None = None
    change_reliable: bool = False
    norms_clients: int = 0
    trend: list[float] = field(default_factory=list)
    session_date: date | None = None
    occasion: str = ""

    @property
    def needs_attention(self) -> bool:
        """Highlighted in the table: flags not yet discussed (the template's rule)."""
        return bool(self.flags) and not self.discussed


_SHOWN = (
    "pk",
    "code",
    "display_name",
    "activated_on",
    "schedule_next_due",
    "schedule_failed",
    "alliance__total_pomp",
    "alliance__total_mean",
    "alliance__goal_pomp",
    "alliance__task_pomp",
    "alliance__bond_pomp",
    "alliance__change",
    "alliance__change_reliable",
    "alliance__norms_clients",
    "alliance__trend",
    "alliance__session_date",
    "alliance__occasion_label",
    "alliance__completed_at",
    "alliance__form_code",
    "alliance__flag_details",
    "alliance__discussion__discussed_at",
    "alliance__discussion__discussed_by__display_name",
    "alliance__discussion__discussed_by__email",
)


def _shown(
    keys: list[ClientKeys],
    clinic: Clinic,
    low: LowRule,
    today: date,
    waiting: set[int],
) -> list[ShownRow]:
    if not keys:
        return []
    by_pk = {k.pk: k for k in keys}
    names, said = flag_names(), prompts()  # translated once per page
    zone = clinic.zone
    rows: dict[int, ShownRow] = {}
    for values in with_schedule(Patient.objects.filter(pk__in=list(by_pk))).values_list(*_SHOWN):
        (pk, code, name, activated_on, next_due, failed, total, mean, goal, task, bond) = values[
            :11
        ]
        change, reliable, norms, trend, session_date, occasion, done_at, form, details = values[
            11:20
        ]
        discussed_at, by_name, by_email = values[20:]
        k = by_pk[pk]
        since = timezone.localtime(done_at, zone).date() if done_at else activated_on
        flags = flag_list(
            set(k.codes),
            names=names,
            low=low,
            form_code=form or "",
            details=details or {},
            expired_link=k.expired_link,
            days_without=(today - since).days,
            said=said,
        )
        rows[pk] = ShownRow(
            pk=pk,
            code=code,
            display_name=name,
            flags=flags,
            discussed=k.discussed,
            discussion=Discussion(discussed_at, by_name or by_email)
            if k.discussed and discussed_at is not None
            else None,
            waiting=pk in waiting,
            next_due=next_due,
            schedule_failed=bool(failed),
            total=total,
            mean=mean,
            goal=goal,
            task=task,
            bond=bond,
            change=change,
            change_reliable=bool(reliable),
            norms_clients=norms or 0,
            trend=trend or [],
            session_date=session_date,
            occasion=occasion or "",
        )
    return [rows[k.pk] for k in keys if k.pk in rows]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A questionnaire sent and still open for answers."""

    pk: int
    patient_pk: int
    code: str
    occasion: str
    expires_at: datetime


def _waiting(patients: QuerySet[Patient], now: datetime) -> tuple[list[Waiting], datetime | None]:
    """Per client the newest link still open (soonest to expire first), and the moment
    the first open link expires (the client turns overdue, the list changes)."""
    links = (
        Administration.objects.filter(
            patient__in=patients.values("pk"),
            status=AdministrationStatus.OPEN,
            rater=Rater.CLIENT,
            expires_at__gt=now,
        )
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "patient_id",
            "patient__code",
            "occasion",
            "session_number",
            "occasion_note",
            "expires_at",
        )
    )
    newest: dict[int, Waiting] = {}
    first_expiry: datetime | None = None
    for pk, patient_id, code, kind, number, note, expires_at in links:
        if first_expiry is None or expires_at < first_expiry:
            first_expiry = expires_at
        if patient_id not in newest:
            newest[patient_id] = Waiting(
                pk, patient_id, code, occasion_label(kind, number, note), expires_at
            )
    listed = sorted(newest.values(), key=lambda w: (w.expires_at, w.code.lower()))
    return listed, first_expiry


@dataclass
class CaseloadPage:
    page: Page  # of ShownRow
    total: int  # clients listed (after the filter)
    waiting: list[Waiting]  # the first WAITING_LISTED
    until: datetime | None  # when the page stops being right by itself


def caseload_page(
    user: User,
    *,
    low: LowRule,
    flag: str = "",
    sort: str = "flags",
    page: str | int | None = None,
    now: datetime | None = None,
) -> CaseloadPage:
    """One page of the therapist's active clients, filtered and sorted as asked."""
    now = now or timezone.now()
    clinic = user.clinic
    today = timezone.localdate(now, clinic.zone)
    patients = patients_visible_to(user).filter(status=PatientStatus.ACTIVE)
    listed = filtered_keys(_keys(patients, clinic, low, today, now), flag=flag, sort=sort)
    waiting, until = _waiting(patients, now)
    shown = Paginator(listed, PAGE_SIZE).get_page(page)
    shown.object_list = _shown(
        list(shown.object_list), clinic, low, today, {w.patient_pk for w in waiting}
    )
    return CaseloadPage(shown, len(listed), waiting[:WAITING_LISTED], until)
