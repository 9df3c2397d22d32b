"""Reads for the dashboards: the therapist's caseload and the clinic overview.

Both read one AllianceSummary row per client (kept current on every write), so they
cost a fixed number of queries whatever the number of clients or questionnaires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.alliance.discussions import QUESTIONNAIRE_FLAGS, is_discussed
from assessments.alliance.low import LOWEST_DECILE, LowRule, low_rule_for
from assessments.alliance.summaries import gap_threshold
from assessments.alliance.wording import numbers, prompts
from clinicians.models import Clinic, Patient, User

from ..models import (
    Administration,
    AdministrationStatus,
    AllianceSummary,
    FlagDiscussion,
    Rater,
)


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
    therapist: User | None = None  # filled in on the clinic overview only

    @property
    def flag_codes(self) -> set[str]:
        return {f.code for f in self.flags}

    @property
    def discussed(self) -> bool:
        """Every flag a questionnaire raised is covered by a discussion."""
        s = self.summary
        return s is not None and is_discussed(
            [f.code for f in self.flags],
            discussion_id=s.discussion_id,
            latest=s.discussed_latest,
        )

    @property
    def discussion(self) -> FlagDiscussion | None:
        return self.summary.discussion if self.discussed and self.summary else None

    @property
    def needs_attention(self) -> bool:
        """On the attention list: an overdue questionnaire, or flags not yet discussed."""
        return "overdue" in self.flag_codes or (
            any(c in QUESTIONNAIRE_FLAGS for c in self.flag_codes) and not self.discussed
        )

    @property
    def open_since(self) -> date | None:
        """The session date of the questionnaire that raised the open flags: the one the
        rules name for rupture, dropping and first dip; the latest for low and different
        views (they describe the latest questionnaire)."""
        s = self.summary
        if s is None:
            return None
        days = []
        if self.flag_codes & {"rupture", "dropping", "first_dip"} and s.flag_raised_on:
            days.append(s.flag_raised_on)
        if self.flag_codes & {"low", "gap"} and s.session_date:
            days.append(s.session_date)
        return min(days) if days else None


def flag_list(
    codes: set[str],
    *,
    names: dict[str, str],
    low: LowRule,
    form_code: str,
    details: dict,
    expired_link: bool,
    days_without: int,
    said: dict[str, str] | None = None,
) -> list[Flag]:
    """The flags `codes` with their words, in the order every page shows them.

    `expired_link`: the overdue flag comes from a link that expired unanswered (else
    from `days_without` days without a questionnaire); `said`: `prompts()`, when the
    caller has them already. The caseload, which works out
    the codes in SQL, and `rows_for`, which works them out here, share these words.
    """
    flags: list[Flag] = []
    if "low" in codes:
        flags.append(
            Flag(
                "low",
                names["low"],
                _(
                    "Among this clinic's lowest totals on this form (the clinic's own "
                    "choice; no published cut-off): worth asking how the work together "
                    "feels."
                )
                if low.mode == LOWEST_DECILE and form_code in low.cutoffs
                else _(
                    "Below the threshold this clinic chose (no published cut-off): "
                    "worth asking how the work together feels."
                ),
            )
        )
    if codes & {"rupture", "dropping", "first_dip"}:
        said = said or prompts()
        for code in ("rupture", "dropping", "first_dip"):
            if code in codes:
                flags.append(
                    Flag(code, names[code], said[code], numbers(code, details.get(code, {})))
                )
    if "gap" in codes:
        flags.append(
            Flag(
                "gap",
                names["gap"],
                _("You and the client see the same session differently: compare notes."),
            )
        )
    if "overdue" in codes:
        flags.append(
            Flag(
                "overdue",
                names["overdue"],
                _("The last questionnaire link expired unanswered: ask again, or use the kiosk.")
                if expired_link
                else _("No questionnaire for %(days)s days: ask for one after the next session.")
                % {"days": days_without},
            )
        )
    return flags


def _flags(
    patient: Patient,
    summary: AllianceSummary | None,
    clinic: Clinic,
    open_links: list[Administration],
    today: date,
    now: datetime,
    names: dict[str, str],
    low: LowRule,
) -> list[Flag]:
    codes: set[str] = set()
    if summary is not None and summary.total_pomp is not None:
        if low.is_low(summary.form_code, summary.total_pomp):
            codes.add("low")
        for code in ("rupture", "dropping", "first_dip"):
            if getattr(summary, code) and (code != "dropping" or not summary.rupture):
                codes.add(code)
        if summary.gap is not None and abs(summary.gap) >= gap_threshold():
            codes.add("gap")
    expired = [a for a in open_links if a.expires_at <= now]
    zone = clinic.zone
    last_done = (
        timezone.localtime(summary.completed_at, zone).date()
        if summary and summary.completed_at
        else None
    )
    since = last_done or patient.activated_on
    expired_link = bool(expired) and (
        last_done is None or timezone.localtime(expired[0].created_at, zone).date() >= last_done
    )
    if expired_link or (today - since).days > clinic.overdue_days:
        codes.add("overdue")
    return flag_list(
        codes,
        names=names,
        low=low,
        form_code=summary.form_code if summary is not None else "",
        details=(summary.flag_details or {}) if summary is not None else {},
        expired_link=expired_link,
        days_without=(today - since).days,
    )


def rows_for(
    patients: QuerySet[Patient], clinic: Clinic, low: LowRule | None = None
) -> list[CaseloadRow]:
    low = low or low_rule_for(clinic)
    # The discussion that covers the flags, and who marked it, come with the row.
    patients = patients.select_related("alliance__discussion__discussed_by")
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
        flags = _flags(p, summary, clinic, links, today, now, names, low)
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
    # Flags waiting for a conversation first; discussed ones after them.
    "flags": lambda r: (
        not r.needs_attention,
        -len(r.flags),
        r.patient.code.lower(),
    ),
}
