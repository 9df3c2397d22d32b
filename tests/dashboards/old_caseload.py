"""The therapist's caseload built the way it was before issue 17: every active client as
model rows (`dashboards.rows_for`), filtered and sorted in Python. The page now reads
narrow tuples and only the shown rows (`assessments.alliance.caseload`); these tests
keep the old way as the oracle it is compared with, and as a short way to ask for one
client's flags."""

from __future__ import annotations

from assessments.alliance.dashboards import FLAG_CODES, SORTS, CaseloadRow, rows_for
from assessments.alliance.low import LowRule
from assessments.models import Administration
from assessments.schedules.selectors import with_schedule
from clinicians.access import patients_visible_to
from clinicians.models import Patient, PatientStatus, User


def caseload_rows(user: User, *, low: LowRule | None = None) -> list[CaseloadRow]:
    """The therapist's active clients with their latest scores and flags."""
    patients = patients_visible_to(user).filter(status=PatientStatus.ACTIVE)
    # The next scheduled questionnaire and a failed scheduled email come with each row.
    return rows_for(with_schedule(patients), user.clinic, low)


def caseload_overview(user: User, *, flag: str = "", sort: str = "flags") -> list[CaseloadRow]:
    return filter_and_sort(caseload_rows(user), flag=flag, sort=sort)


def waiting_in(rows: list[CaseloadRow]) -> list[tuple[Patient, Administration]]:
    """Questionnaires sent and still open, soonest to expire first (from rows already
    loaded: no query, whatever else the database holds)."""
    waiting = [(r.patient, r.waiting) for r in rows if r.waiting is not None]
    return sorted(waiting, key=lambda pair: pair[1].expires_at)


def filter_and_sort(rows: list[CaseloadRow], *, flag: str, sort: str) -> list[CaseloadRow]:
    """`any`: the attention list (flags not yet discussed, or overdue); a flag code: the
    clients with that flag not yet discussed; `discussed`: those whose flags were."""
    if flag == "any":
        rows = [r for r in rows if r.needs_attention]
    elif flag == "discussed":
        rows = [r for r in rows if r.discussed]
    elif flag in FLAG_CODES:
        rows = [r for r in rows if flag in r.flag_codes and (flag == "overdue" or not r.discussed)]
    rows.sort(key=SORTS.get(sort, SORTS["flags"]))
    return rows
