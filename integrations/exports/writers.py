"""An export's bytes in each format, produced a chunk at a time.

Each writer takes an `ExportData` (already prepared) and an optional `progress`
callback told how many rows were written, so the same code streams a download and
writes a background job's file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone

from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import SCORE_COLUMNS

from .. import fhir
from ..models import ExportFormat
from .rows import (
    IDENTIFIED_COLUMNS,
    PSEUDONYMISED_COLUMNS,
    ExportData,
    table_header,
    table_row,
)
from .xlsx import Sheet, stream_xlsx

Progress = Callable[[int], None] | None

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.NDJSON: "application/fhir+ndjson",
}
EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx", ExportFormat.NDJSON: "ndjson"}

# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same after any line break inside a cell: a reader that splits rows on a bare CR or
# LF (or a program that shows each line) would otherwise see a line starting `=`.
_AFTER_BREAK = re.compile(r"([\r\n])(?=[=+\-@\t])")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets an apostrophe before it, at
    the start of the cell and after every line break inside it.

    Only text: numbers (never negative here) and empty cells pass unchanged.
    """
    if not isinstance(value, str):
        return value
    if "\r" in value or "\n" in value:
        value = _AFTER_BREAK.sub(r"\1'", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def file_name(data: ExportData, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    kind = "pseudonymised" if data.filters.pseudonymised else "questionnaires"
    form = f"-{data.filters.form_code}" if data.filters.form_code else ""
    return f"alliance-{kind}{form}-{stamp}.{EXTENSIONS[ExportFormat(fmt)]}"


def _leading(data: ExportData) -> int:
    """How many columns come before the answers: only they may hold text."""
    return len(PSEUDONYMISED_COLUMNS if data.filters.pseudonymised else IDENTIFIED_COLUMNS)


def csv_bytes(data: ExportData, progress: Progress = None) -> Iterator[bytes]:
    # No byte-order mark: pandas, R and the score command read plain UTF-8; people who
    # open exports in Excel are offered XLSX.
    buffer = io.StringIO()
    # CRLF ends each row (RFC 4180). With it as the terminator the csv module quotes every
    # cell holding a CR or an LF; with "\n" alone a bare CR went out unquoted and
    # pandas or a spreadsheet started a new row there.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table_header(data))
    yield buffer.getvalue().encode()
    text_columns = _leading(data)
    done = 0
    for chunk in data.chunks():
        buffer.seek(0)
        buffer.truncate()
        for row in chunk:
            cells = table_row(data, row)
            cells[:text_columns] = [neutralise(v) for v in cells[:text_columns]]
            writer.writerow(cells)
        yield buffer.getvalue().encode()
        done += len(chunk)
        if progress:
            progress(done)


def ndjson_bytes(data: ExportData, progress: Progress = None) -> Iterator[bytes]:
    """FHIR bulk-data style: one QuestionnaireResponse per line."""
    done = 0
    for chunk in data.chunks():
        lines = [
            json.dumps(fhir.questionnaire_response(row, data), separators=(",", ":"))
            for row in chunk
        ]
        yield ("\n".join(lines) + "\n").encode()
        done += len(chunk)
        if progress:
            progress(done)


def _about_rows(data: ExportData, counted: list[int]) -> list[list[Any]]:
    """The second sheet: what the first one holds, so the file explains itself."""
    registry = get_registry()
    f = data.filters
    rows: list[list[Any]] = [
        ["exported_at", timezone.now()],
        ["clinic", data.user.clinic.name if data.user.clinic else ""],
        ["questionnaires", counted[0]],
        ["pseudonymised", f.pseudonymised],
        ["form_filter", f.form_code or "all forms"],
        ["session_date_from", f.date_from or ""],
        ["session_date_to", f.date_to or ""],
        ["dates", "submitted_at is UTC; session_date is the session's day"],
        [
            "items",
            "item_1 .. item_N hold the raw answers as given (before reverse keying); "
            "blank when not answered or beyond the form's length",
        ],
        [
            "scores",
            "same columns as `manage.py score --csv`: sum (prorated when answers are "
            "missing), mean of keyed answers, pomp 0-100; blank when not scorable",
        ],
        ["score_columns", ", ".join(SCORE_COLUMNS)],
    ]
    if f.pseudonymised:
        rows.append(
            [
                "pseudonyms",
                "client_pseudonym and therapist_pseudonym are drawn at random for this "
                "export only; another export numbers people differently",
            ]
        )
    rows.append([])
    rows.append(["form", "item", "subscale", "reverse_keyed", "scale"])
    for code in data.form_codes:
        if code not in registry:
            continue
        form = registry.get(code)
        scale = f"{form.scale.min}-{form.scale.max}"
        rows.extend([code, item.number, item.subscale, item.reverse, scale] for item in form.items)
    return rows


def xlsx_bytes(data: ExportData, progress: Progress = None) -> Iterator[bytes]:
    counted = [0]

    def chunks() -> Iterator[list[list[Any]]]:
        for chunk in data.chunks():
            # Real dates and date-times: a spreadsheet (or pandas) sorts and filters them.
            yield [table_row(data, row, typed_times=True) for row in chunk]
            counted[0] += len(chunk)
            if progress:
                progress(counted[0])

    sheets = [
        Sheet("questionnaires", table_header(data), chunks, numbers_from=_leading(data)),
        Sheet("about", ["field", "value"], lambda: [_about_rows(data, counted)], width=22),
    ]
    return stream_xlsx(sheets)


WRITERS: dict[str, Callable[[ExportData, Progress], Iterator[bytes]]] = {
    ExportFormat.CSV: csv_bytes,
    ExportFormat.XLSX: xlsx_bytes,
    ExportFormat.NDJSON: ndjson_bytes,
}


def export_bytes(data: ExportData, fmt: str, progress: Progress = None) -> Iterator[bytes]:
    return WRITERS[fmt](data, progress)
