"""Reading a spreadsheet of clients (CSV or XLSX) into a table of text, with pandas.

No database here: this turns bytes into rows or into one plain-words reason why the
file cannot be read. Every cell is kept as text exactly as written (trimmed of
surrounding spaces); a cell such as `=SUM(A1:A3)` stays that text and is never run.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

REQUIRED = ("code",)
OPTIONAL = ("name", "email", "language", "therapist_email")
COLUMNS = REQUIRED + OPTIONAL
# Other spellings people use for the same columns (after lower-casing, and spaces and
# hyphens turned into underscores).
ALIASES = {
    "client_code": "code",
    "client": "code",
    "display_name": "name",
    "client_name": "name",
    "preferred_language": "language",
    "therapist": "therapist_email",
}


def max_bytes() -> int:
    return int(getattr(settings, "ALLIANCE_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "ALLIANCE_IMPORT_MAX_ROWS", 50_000))


def max_columns() -> int:
    """Columns read: the five Alliance uses and room for the clinic's own."""
    return int(getattr(settings, "ALLIANCE_IMPORT_MAX_COLUMNS", 30))


def max_cells() -> int:
    """Rows × columns. Bytes alone do not bound the work: a 150 KB workbook can hold a
    million cells. 300,000 cells (50,000 rows of the five columns and one more) are
    checked in about a second of CPU; see SECURITY.md."""
    return int(getattr(settings, "ALLIANCE_IMPORT_MAX_CELLS", 300_000))


def max_unpacked_bytes() -> int:
    """An XLSX is a zip: what it unpacks to is bounded too (a zip bomb is refused)."""
    return 10 * max_bytes()


def _too_many_columns(count: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file has %(count)s columns; Alliance reads at most %(max)s. Keep the "
            "columns it reads (code, name, email, language, therapist_email), remove the "
            "others and upload it again."
        )
        % {"count": f"{count:,}", "max": max_columns()}
    )


def _too_many_cells(rows: int, columns: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file has %(rows)s rows and %(columns)s columns: more than %(max)s cells. "
            "Remove the columns Alliance does not read (it reads code, name, email, "
            "language, therapist_email) or split the file."
        )
        % {"rows": f"{rows:,}", "columns": f"{columns:,}", "max": f"{max_cells():,}"}
    )


def _check_shape(rows: int, columns: int) -> None:
    if columns > max_columns():
        raise _too_many_columns(columns)
    if rows > max_rows() + 1:
        raise SpreadsheetError(
            _("The file has more than %(rows)s rows. Split it into smaller files.")
            % {"rows": f"{max_rows():,}"}
        )
    if rows * columns > max_cells():
        raise _too_many_cells(rows, columns)


class SpreadsheetError(Exception):
    """The file as a whole cannot be imported; `message` says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    # Columns: "row" (the spreadsheet's row number, header = 1) and COLUMNS, all text.
    frame: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)


def _not_utf8() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file is not saved as UTF-8 text, so its letters cannot be read reliably. "
            "In your spreadsheet program choose “Save as” → “CSV UTF-8” (or save it as "
            "XLSX) and upload it again."
        )
    )


def _empty() -> SpreadsheetError:
    return SpreadsheetError(_("The file is empty. Check that you chose the right file."))


def _guess_separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> pd.DataFrame:
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8() from exc
    if "\x00" in text:  # UTF-16 without a byte-order mark, or not text at all
        raise _not_utf8()
    if not text.strip():
        raise _empty()
    separator = _guess_separator(text)
    _check_csv_shape(text, separator)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=separator,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            nrows=max_rows() + 2,
        )
    except pd.errors.EmptyDataError as exc:
        raise _empty() from exc
    except (pd.errors.ParserError, ValueError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = _(" (row %(row)s)") % {"row": line.group(1)} if line else ""
        raise SpreadsheetError(
            _(
                "The file could not be read as CSV%(where)s: a row has more cells than the "
                "header row, or a quote is not closed. Check that row in a text editor, "
                "or save the file as XLSX."
            )
            % {"where": where}
        ) from exc


def _check_csv_shape(text: str, separator: str) -> None:
    """Count columns and cells with the csv module (C, one pass) before pandas builds a
    table: a row of a million columns is refused at that row, in well under a second."""
    rows = 0
    cells = 0
    widest = 0
    try:
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            if len(row) > max_columns():
                raise _too_many_columns(len(row))
            rows += 1
            cells += len(row)
            widest = max(widest, len(row))
            if rows > max_rows() + 2:
                return  # the row limit's own message comes later
            if cells > max_cells():
                raise _too_many_cells(text.count("\n") + 1, widest)
    except csv.Error:
        return  # pandas names the broken row below


def _unreadable_xlsx() -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file could not be read as an XLSX workbook. Open it in your "
            "spreadsheet program and save it again as XLSX or as CSV UTF-8."
        )
    )


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?\"")
_FORMULA = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>/]*>([^<]*)</(?:\w+:)?f>", re.DOTALL
)
_REF = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The XML file of the workbook's first sheet (the one calamine reads as index 0)."""
    try:
        first = _SHEET.search(archive.read("xl/workbook.xml"))
        rels = archive.read("xl/_rels/workbook.xml.rels")
        if first:
            pattern = rb"<Relationship\b[^>]*?Id=\"" + re.escape(first.group(1)) + rb"\"[^>]*>"
            rel = re.search(pattern, rels)
            target = re.search(rb"Target=\"([^\"]+)\"", rel.group(0)) if rel else None
            if target:
                path = target.group(1).decode()
                return path.lstrip("/") if path.startswith("/") else f"xl/{path}"
    except KeyError:
        pass
    return "xl/worksheets/sheet1.xml"


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return "" if value is None else str(value)


def _read_xlsx(data: bytes) -> pd.DataFrame:
    """Read the first sheet with calamine (Rust; about 20 times faster than openpyxl),
    after refusing, from the zip's directory and the sheet's declared dimension, what
    would take too long. Formula cells keep their formula text, never the value the
    saving program computed."""
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_xlsx() from exc
    if unpacked > max_unpacked_bytes():
        raise SpreadsheetError(
            _(
                "The workbook is larger than %(mb)s MB once unpacked. Save it as CSV UTF-8, "
                "or split it into smaller files."
            )
            % {"mb": max_unpacked_bytes() // (1024 * 1024)}
        )
    path = _first_sheet_path(archive)
    try:
        xml = archive.read(path)  # bounded by the unpacked-size check above
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, zipfile.LargeZipFile) as exc:
        raise _unreadable_xlsx() from exc
    head = xml[:4096]
    declared = _DIMENSION.search(head)
    if declared and declared.group(3):
        rows = int(declared.group(4)) - int(declared.group(2) or 1) + 1
        columns = (
            _column_number(declared.group(3).decode())
            - _column_number(declared.group(1).decode() or "A")
            + 1
        )
        _check_shape(rows, columns)  # refused before a single cell is parsed
    # No dimension, or a false one: count the cell and row tags in the raw XML (a byte
    # search, about 1 GB/s) to bound the work before any parsing.
    cells = xml.count(b"<c ") + xml.count(b":c ")
    if cells > max_cells():
        row_tags = xml.count(b"<row") + xml.count(b":row ")
        raise _too_many_cells(row_tags, -(-cells // max(row_tags, 1)))
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        # The declared dimension may be missing or false: check what calamine found.
        _check_shape(sheet.height, sheet.width)
        rows_read = sheet.to_python(skip_empty_area=False, nrows=max_rows() + 2)
    except SpreadsheetError:
        raise
    except Exception as exc:  # any of zipfile's or calamine's complaints
        logger.info("An XLSX upload could not be read: %s", type(exc).__name__)
        raise _unreadable_xlsx() from exc
    table = [[_cell_text(v) for v in row] for row in rows_read]
    if b"<f" in xml or b":f" in xml:
        for found in _FORMULA.finditer(xml):
            ref = _REF.search(found.group(1))
            if not ref:
                continue
            r = int(ref.group(2)) - 1
            c = _column_number(ref.group(1).decode()) - 1
            if r > max_rows() + 1 or c >= max_columns():
                continue  # outside what is read; the shape checks above hold
            # A formula without a saved value may lie outside what calamine returned.
            while len(table) <= r:
                table.append([])
            if len(table[r]) <= c:
                table[r].extend([""] * (c + 1 - len(table[r])))
            table[r][c] = "=" + html.unescape(found.group(2).decode("utf-8", "replace"))
    return pd.DataFrame(table, dtype=str)


def _canonical(header: object) -> str:
    name = re.sub(r"[\s\-]+", "_", str(header).strip().lower())
    return ALIASES.get(name, name)


def read_spreadsheet(filename: str, data: bytes) -> Sheet:
    """Parse an uploaded file; raise SpreadsheetError with a plain reason if it can't be."""
    if len(data) > max_bytes():
        raise SpreadsheetError(
            _("The file is larger than %(mb)s MB. Split it into smaller files.")
            % {"mb": max_bytes() // (1024 * 1024)}
        )
    if not data.strip():
        raise _empty()
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in {"csv", "txt"}:
        raw = _read_csv(data)
    elif suffix == "xlsx":
        raw = _read_xlsx(data)
    elif suffix in {"xls", "ods", "numbers"}:
        raise SpreadsheetError(
            _("This spreadsheet format cannot be read. Save the file as XLSX or as CSV UTF-8.")
        )
    else:
        raise SpreadsheetError(_("Choose a CSV or XLSX file."))

    raw = raw.fillna("").astype(str)
    if raw.empty:
        raise _empty()
    raw = raw.apply(lambda column: column.str.strip())
    blank = (raw == "").all(axis=1)
    raw = raw[~blank]
    if raw.empty:
        raise _empty()

    header = raw.iloc[0]
    body = raw.iloc[1:]
    mapping: dict[str, object] = {}
    ignored: list[str] = []
    for position, title in header.items():
        name = _canonical(title)
        if name in COLUMNS:
            if name in mapping:
                raise SpreadsheetError(
                    _("The column “%(name)s” appears twice in the first row. Keep only one.")
                    % {"name": name}
                )
            mapping[name] = position
        elif title or (body[position] != "").any():
            ignored.append(str(title) or _("(column without a title)"))
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise SpreadsheetError(
            _(
                "The first row must name the columns, and the column “code” is missing. "
                "Columns Alliance reads: code (required), name, email, language, "
                "therapist_email."
            )
        )
    if body.empty:
        raise SpreadsheetError(_("The file has a header row but no clients below it."))
    if len(body) > max_rows():  # a CSV's rows are counted here
        raise SpreadsheetError(
            _("The file has more than %(rows)s rows. Split it into smaller files.")
            % {"rows": f"{max_rows():,}"}
        )

    frame = pd.DataFrame({"row": (body.index + 1).astype(int)}, index=body.index)  # header is row 1
    for name in COLUMNS:
        frame[name] = body[mapping[name]] if name in mapping else ""
    return Sheet(frame=frame.reset_index(drop=True), ignored_columns=ignored)
