"""The rows of an export: one per completed questionnaire, read in chunks.

Memory stays flat however many questionnaires there are: the responses come from one
server-side cursor (`iterator(chunk_size=...)`) and each chunk's answers from one more
query, so an export costs a fixed number of queries plus one per chunk, never one per
row. Every writer (CSV, XLSX, FHIR NDJSON) and the API read rows through here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from django.db.models import QuerySet

from assessments.alliance.analysis import flags_for_responses
from assessments.alliance.rules import PointFlags
from assessments.models import AdministrationStatus, Answer, Response
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import FIGURE_COLUMNS, SCORE_COLUMNS
from clinicians.access import patients_visible_to
from clinicians.models import User

CHUNK_SIZE = 2000

# Read with values_list, in this order, into ExportRow (answers are added per chunk).
FIELDS: tuple[str, ...] = (
    "pk",
    "administration_id",
    "administration__patient_id",
    "administration__patient__code",
    "administration__patient__display_name",
    "administration__patient__email",
    "administration__patient__clinic__slug",
    "administration__therapist_id",
    "administration__therapist__display_name",
    "administration__therapist__email",
    "administration__form_code",
    "administration__rater",
    "administration__occasion",
    "administration__session_number",
    "administration__occasion_note",
    "administration__session_date",
    "submitted_at",
    "version",
    "channel",
    "answered",
    "complete",
    "prorated",
    *FIGURE_COLUMNS,
)


class ExportRow(NamedTuple):
    response_id: int
    administration_id: int
    patient_id: int
    client_code: str
    client_name: str
    client_email: str
    clinic_slug: str
    therapist_id: int
    therapist_name: str
    therapist_email: str
    form_code: str
    rater: str
    occasion: str
    session_number: int | None
    occasion_note: str
    session_date: date
    submitted_at: datetime
    version: int
    channel: str
    answered: int
    complete: bool
    prorated: bool
    goal_sum: float | None
    goal_mean: float | None
    goal_pomp: float | None
    task_sum: float | None
    task_mean: float | None
    task_pomp: float | None
    bond_sum: float | None
    bond_mean: float | None
    bond_pomp: float | None
    total_sum: float | None
    total_mean: float | None
    total_pomp: float | None
    answers: tuple[int | None, ...] = ()

    @property
    def therapist(self) -> str:
        return self.therapist_name or self.therapist_email

    def figure(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    @property
    def figures(self) -> tuple[float | None, ...]:
        """The twelve score figures, in FIGURE_COLUMNS order (a slice: no lookups)."""
        return self[_FIGURES_AT : _FIGURES_AT + len(FIGURE_COLUMNS)]


# ExportRow is FIELDS in order, then the answers.
assert len(ExportRow._fields) == len(FIELDS) + 1
_FIGURES_AT = ExportRow._fields.index(FIGURE_COLUMNS[0])
assert ExportRow._fields[_FIGURES_AT : _FIGURES_AT + 12] == FIGURE_COLUMNS


@dataclass(frozen=True)
class ExportFilters:
    """What to export. The user decides which rows may be seen at all."""

    therapist_id: int | None = None
    form_code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    pseudonymised: bool = False

    def to_params(self) -> dict[str, Any]:
        return {
            "therapist_id": self.therapist_id,
            "form_code": self.form_code,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "pseudonymised": self.pseudonymised,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ExportFilters:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            therapist_id=params.get("therapist_id"),
            form_code=params.get("form_code") or "",
            date_from=day(params.get("date_from")),
            date_to=day(params.get("date_to")),
            pseudonymised=bool(params.get("pseudonymised")),
        )

    def describe(self) -> dict[str, Any]:
        """For the audit log: the filters, never a clinical value."""
        return {k: v for k, v in self.to_params().items() if v not in (None, "", False)}


def export_responses(user: User, filters: ExportFilters) -> QuerySet[Response]:
    """The current responses of completed questionnaires `user` may see, filtered.

    Visibility is the one rule of `patients_visible_to`: an admin's whole clinic, a
    therapist's current caseload (with its whole history, as on the client pages).
    """
    qs = Response.objects.filter(
        is_current=True,
        administration__status=AdministrationStatus.COMPLETED,
        administration__patient__in=patients_visible_to(user),
    )
    if filters.therapist_id is not None:
        qs = qs.filter(administration__therapist_id=filters.therapist_id)
    if filters.form_code:
        qs = qs.filter(administration__form_code=filters.form_code)
    if filters.date_from is not None:
        qs = qs.filter(administration__session_date__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(administration__session_date__lte=filters.date_to)
    return qs


def attach_answers(batch: list[tuple[Any, ...]], width: int) -> list[ExportRow]:
    """Rows read with FIELDS, with their answers item_1..item_`width`: one query."""
    answers: dict[int, list[int | None]] = {values[0]: [None] * width for values in batch}
    if not answers:
        return []
    found = Answer.objects.filter(response_id__in=list(answers)).values_list(
        "response_id", "item", "value"
    )
    for response_id, item, value in found:
        if 1 <= item <= width:
            answers[response_id][item - 1] = value
    return [ExportRow(*values, tuple(answers[values[0]])) for values in batch]


def pseudonym_map(ids: list[int], prefix: str, width: int) -> dict[int, str]:
    """Number the ids in a random order (from `secrets`): the pseudonyms of one export.

    Stable within the export, different in the next one, and unrelated to the codes,
    the database ids or the order in which clients were registered.
    """
    order = list(ids)
    secrets.SystemRandom().shuffle(order)
    width = max(width, len(str(len(order))))
    return {pk: f"{prefix}{n:0{width}d}" for n, pk in enumerate(order, start=1)}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ExportData:
    """One export's rows: counted, prepared (forms, pseudonyms), then read in chunks."""

    user: User
    filters: ExportFilters
    chunk_size: int = CHUNK_SIZE
    form_codes: list[str] = field(default_factory=list)
    item_count: int = 0
    client_pseudonyms: dict[int, str] = field(default_factory=dict)
    therapist_pseudonyms: dict[int, str] = field(default_factory=dict)
    # Each client-rated questionnaire's flags, from the same analysis as the pages.
    flags: dict[int, PointFlags] = field(default_factory=dict)

    @property
    def queryset(self) -> QuerySet[Response]:
        return export_responses(self.user, self.filters)

    def count(self) -> int:
        return self.queryset.count()

    def prepare(self) -> None:
        """What the header and the pseudonyms need: a fixed number of queries."""
        registry = get_registry()
        codes = sorted(
            self.queryset.order_by().values_list("administration__form_code", flat=True).distinct()
        )
        if self.filters.form_code and self.filters.form_code not in codes:
            codes.append(self.filters.form_code)
        self.form_codes = codes
        # item_1 .. item_N, N the longest form in the export; shorter forms leave blanks.
        self.item_count = max(
            (registry.get(c).item_count for c in codes if c in registry), default=0
        )
        patients = self.queryset.order_by().values_list("administration__patient_id", flat=True)
        self.flags = flags_for_responses(set(patients))
        if self.filters.pseudonymised:
            ids = self.queryset.order_by()
            patients = ids.values_list("administration__patient_id", flat=True).distinct()
            therapists = ids.values_list("administration__therapist_id", flat=True).distinct()
            self.client_pseudonyms = pseudonym_map(list(patients), "P", 4)
            self.therapist_pseudonyms = pseudonym_map(list(therapists), "T", 3)

    def chunks(self) -> Iterator[list[ExportRow]]:
        """The rows, oldest submission first, `chunk_size` at a time."""
        rows = (
            self.queryset.order_by("submitted_at", "pk")
            .values_list(*FIELDS)
            .iterator(chunk_size=self.chunk_size)
        )
        batch: list[tuple[Any, ...]] = []
        for values in rows:
            batch.append(values)
            if len(batch) >= self.chunk_size:
                yield self._with_answers(batch)
                batch = []
        if batch:
            yield self._with_answers(batch)

    def _with_answers(self, batch: list[tuple[Any, ...]]) -> list[ExportRow]:
        return attach_answers(batch, max(self.item_count, 1))

    # --- identities as this export shows them -------------------------------------------
    def client_label(self, row: ExportRow) -> str:
        if self.filters.pseudonymised:
            return self.client_pseudonyms.get(row.patient_id, "")
        return row.client_code

    def therapist_label(self, row: ExportRow) -> str:
        if self.filters.pseudonymised:
            return self.therapist_pseudonyms.get(row.therapist_id, "")
        return row.therapist


# --- the table (CSV and XLSX share it) ----------------------------------------------
# The score columns are exactly those `manage.py score --csv` writes, so an export can be
# fed back to it (and compared) without renaming anything.
IDENTIFIED_COLUMNS = (
    "questionnaire_id",
    "client_code",
    "client_name",
    "client_email",
    "therapist",
    "form",
    "rater",
    "occasion",
    "session_number",
    "occasion_note",
    "session_date",
    "submitted_at",
    "channel",
    "flags",
)
# No names, no emails, no free text, no database ids: nothing that leads back to a person.
PSEUDONYMISED_COLUMNS = (
    "client_pseudonym",
    "therapist_pseudonym",
    "form",
    "rater",
    "occasion",
    "session_number",
    "session_date",
    "submitted_at",
    "channel",
    "flags",
)


def table_header(data: ExportData) -> list[str]:
    leading = PSEUDONYMISED_COLUMNS if data.filters.pseudonymised else IDENTIFIED_COLUMNS
    items = [f"item_{n}" for n in range(1, data.item_count + 1)]
    return [*leading, *items, *SCORE_COLUMNS]


# The flags column (one analysis with the pages: see alliance.rules) holds the codes
# raised at that questionnaire, e.g. "rupture;first_dip"; blank for none and for
# therapists' own ratings.
def flag_codes(data: ExportData, row: ExportRow) -> str:
    """The flags raised at this questionnaire ("rupture;first_dip"), blank if none."""
    flags = data.flags.get(row.response_id)
    return ";".join(flags.kinds()) if flags else ""


def table_row(data: ExportData, row: ExportRow, *, typed_times: bool = False) -> list[Any]:
    """One row's cells, in the header's order. Dates as ISO text unless `typed_times`."""
    submitted: Any = row.submitted_at if typed_times else utc_text(row.submitted_at)
    session: Any = row.session_date if typed_times else row.session_date.isoformat()
    if data.filters.pseudonymised:
        leading: list[Any] = [
            data.client_label(row),
            data.therapist_label(row),
            row.form_code,
            row.rater,
            row.occasion,
            row.session_number,
            session,
            submitted,
            row.channel,
            flag_codes(data, row),
        ]
    else:
        leading = [
            row.administration_id,
            row.client_code,
            row.client_name,
            row.client_email,
            row.therapist,
            row.form_code,
            row.rater,
            row.occasion,
            row.session_number,
            row.occasion_note,
            session,
            submitted,
            row.channel,
            flag_codes(data, row),
        ]
    # "error" is always blank: a stored response was valid when it was scored.
    return [
        *leading,
        *row.answers[: data.item_count],
        *row.figures,
        row.answered,
        row.complete,
        None,
    ]
