"""Reading a spreadsheet of clients (CSV or XLSX) into a table of text, with pandas.

No database here: this turns bytes into rows or into one plain-words reason why the
file cannot be read. Every cell is kept as text exactly as written (trimmed of
surrounding spaces); a cell such as `=SUM(A1:A3)` stays that text and is never run.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

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
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=_guess_separator(text),
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


def _read_xlsx(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_excel(
            io.BytesIO(data),
            sheet_name=0,
            header=None,
            dtype=str,
            engine="openpyxl",
            # data_only=False: a formula cell gives its formula text, never a value
            # computed by whichever program saved the file.
            engine_kwargs={"data_only": False},
            keep_default_na=False,
            na_filter=False,
            nrows=max_rows() + 2,
        )
    except Exception as exc:  # any of zipfile's, openpyxl's or pandas's complaints
        logger.info("An XLSX upload could not be read: %s", type(exc).__name__)
        raise SpreadsheetError(
            _(
                "The file could not be read as an XLSX workbook. Open it in your "
                "spreadsheet program and save it again as XLSX or as CSV UTF-8."
            )
        ) from exc


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
    if len(body) > max_rows():
        raise SpreadsheetError(
            _("The file has more than %(rows)s rows. Split it into smaller files.")
            % {"rows": f"{max_rows():,}"}
        )

    frame = pd.DataFrame({"row": (body.index + 1).astype(int)}, index=body.index)  # header is row 1
    for name in COLUMNS:
        frame[name] = body[mapping[name]] if name in mapping else ""
    return Sheet(frame=frame.reset_index(drop=True), ignored_columns=ignored)
