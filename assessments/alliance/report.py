"""The report for the record: one client's alliance on one or two printed pages.

The same figures as the client's page (its history selector and chart function), cut
to what a record needs: the latest rows of the scores table, the flags and whether they
were discussed, and the forms used with their citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.safestring import SafeString

from assessments.alliance.charts import alliance_chart, chart_title
from assessments.alliance.history import ClientHistory, HistoryRow, client_history
from assessments.alliance.wording import norms_text
from assessments.scoring.definitions import Form
from assessments.scoring.registry import get_registry
from clinicians.models import Patient, User

# Rows of the scores table that fit the first two pages beside the chart, the flags and
# the citations (measured: 14 rows with a note each stay within two A4 pages). Older
# questionnaires stay in the chart, and the client's page lists them all.
TABLE_ROWS = 14


@dataclass(frozen=True)
class FormUsed:
    code: str
    title: str
    short_title: str
    citation: str
    count: int  # completed questionnaires on this form in the report


@dataclass(frozen=True)
class ClientReport:
    patient: Patient
    therapist: User | None
    produced_at: datetime
    produced_by: User
    history: ClientHistory
    chart: SafeString | None
    rows: list[HistoryRow]  # newest first, at most TABLE_ROWS
    left_out: int  # older questionnaires not in the table (they are in the chart)
    first_date: date | None
    last_date: date | None
    forms: list[FormUsed]
    norms: str

    @property
    def questionnaire_count(self) -> int:
        return len(self.history.rows)


def client_report(patient: Patient, viewer: User) -> ClientReport:
    """The report's contents for `viewer` (whose access to `patient` is already checked)."""
    history = client_history(patient, viewer.clinic)
    current = patient.assignments.filter(ended_at__isnull=True).select_related("therapist").first()
    chart = alliance_chart(
        history.client_points,
        history.therapist_points,
        low=history.low,
        title=chart_title(patient.code),
    )
    dates = [p.session_date for p, _f in history.client_points] + [
        p.session_date for p in history.therapist_points
    ]
    points = history.client_points
    latest_clients = points[-1][1].details.get("norms_clients", 0) if points else 0
    return ClientReport(
        patient=patient,
        therapist=current.therapist if current else None,
        produced_at=timezone.localtime(),
        produced_by=viewer,
        history=history,
        chart=chart,
        rows=history.rows[:TABLE_ROWS],
        left_out=max(0, len(history.rows) - TABLE_ROWS),
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
        forms=forms_used(history),
        norms=norms_text(int(latest_clients or 0)),
    )


def forms_used(history: ClientHistory) -> list[FormUsed]:
    """Each form with a scored questionnaire in the history, client forms first, with
    the citation exactly as the form's definition gives it."""
    counts: dict[str, int] = {}
    for p, _f in history.client_points:
        counts[p.form_code] = counts.get(p.form_code, 0) + 1
    for p in history.therapist_points:
        counts[p.form_code] = counts.get(p.form_code, 0) + 1
    registry = get_registry()
    used = []
    for code, count in counts.items():
        # A form no longer loaded keeps its code; its citation cannot be looked up.
        form: Form | None = registry.get(code) if code in registry else None
        used.append(
            FormUsed(
                code=code,
                title=form.title if form else code,
                short_title=form.short_title if form else code,
                citation=form.citation if form else "",
                count=count,
            )
        )
    return used


def report_filename(patient: Patient, produced: date, extension: str = "pdf") -> str:
    """A download name with the client's code, safe in a header and on any disk."""
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", patient.code).strip(".-") or str(patient.pk)
    return f"alliance-report-{code}-{produced.isoformat()}.{extension}"
