"""A streaming XLSX writer: the workbook leaves as it is written, in constant memory.

openpyxl's write-only mode keeps memory low but needs about 33 s for 100,000
questionnaires (3.4 million cells), and it cannot stream: the zip is finished only when
the file is saved. This writer emits the few XML parts of a workbook directly into a zip
written to a non-seekable sink (zip data descriptors), so each chunk of rows becomes
bytes for the response at once; 100,000 rows take about 4 s. Strings are inline strings
(no shared-strings table to hold in memory) and so can never be formulas.

Only what exports need: several sheets, a bold frozen header, text, numbers, booleans,
dates and date-times (UTC). Files open in Excel, LibreOffice, openpyxl and pandas.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

# Excel's last row; an export with more rows must go to CSV.
MAX_ROWS = 1_048_576
_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 forbids (Excel refuses the file if one slips in).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Cell styles (cellXfs index): 0 plain, 1 date, 2 date-time, 3 bold header.
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    clean = escape(_ILLEGAL.sub("", value))
    if clean != clean.strip():
        return f'<is><t xml:space="preserve">{clean}</t></is>'
    return f"<is><t>{clean}</t></is>"


def cell_xml(ref: str, value: Any) -> str:
    """One <c> element; "" for an empty cell (nothing is written for it)."""
    if value is None or value == "":
        return ""
    if value is True or value is False:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        delta = moment - datetime(1899, 12, 30)
        serial = delta.days + delta.seconds / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>'
    return f'<c r="{ref}" t="inlineStr">{_text(str(value))}</c>'


@dataclass(frozen=True)
class Sheet:
    """A sheet: its name, header and rows. `chunks` is called only when the sheet is
    written, so a later sheet may describe what the earlier ones held."""

    name: str
    header: Sequence[str]
    chunks: Callable[[], Iterable[Sequence[Sequence[Any]]]]
    width: int = 14
    # From this column on, every cell is a number, a boolean or empty: written without
    # the type tests (a third of the time for an export's answers and scores).
    numbers_from: int | None = None


class _Sink:
    """A write-only, non-seekable file: zipfile then streams (with data descriptors)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts = []
        return data


def _sheet_open(sheet: Sheet) -> str:
    n = len(sheet.header)
    return (
        _HEAD + f'<worksheet xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f'<cols><col min="1" max="{max(n, 1)}" width="{sheet.width}" customWidth="1"/></cols>'
        "<sheetData>"
    )


def _row_xml(row: Sequence[Any], r: int, letters: list[str], numbers_from: int | None) -> str:
    n = str(r)
    split = len(row) if numbers_from is None else min(numbers_from, len(row))
    parts = [cell_xml(letters[i] + n, row[i]) for i in range(split)]
    for i in range(split, len(row)):
        value = row[i]
        if value is None:
            continue
        if value is True or value is False:
            parts.append(f'<c r="{letters[i]}{n}" t="b"><v>{int(value)}</v></c>')
        else:
            parts.append(f'<c r="{letters[i]}{n}"><v>{value!r}</v></c>')
    return f'<row r="{n}">{"".join(parts)}</row>'


def _header_row(header: Sequence[str], letters: list[str]) -> str:
    cells = "".join(
        f'<c r="{letters[i]}1" s="3" t="inlineStr">{_text(name)}</c>'
        for i, name in enumerate(header)
    )
    return f'<row r="1">{cells}</row>'


def _package_parts(sheets: Sequence[Sheet]) -> list[tuple[str, str]]:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    content_types = (
        _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>"
    )
    root_rels = (
        _HEAD + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_entries = "".join(
        f'<sheet name="{escape(s.name[:31])}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    workbook = (
        _HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        f"<sheets>{sheet_entries}</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    styles_id = len(sheets) + 1
    workbook_rels = (
        _HEAD + f'<Relationships xmlns="{_PKG}">{rels}'
        f'<Relationship Id="rId{styles_id}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    return [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _STYLES),
    ]


def stream_xlsx(sheets: Sequence[Sheet]) -> Iterator[bytes]:
    """The workbook's bytes, a chunk of rows at a time."""
    sink = _Sink()
    # Level 1: the XML is repetitive, so it still shrinks about tenfold, at a fraction
    # of the time the default level takes.
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:  # type: ignore[arg-type]
        for name, text in _package_parts(sheets):
            zf.writestr(name, text)
        yield sink.take()
        for number, sheet in enumerate(sheets, start=1):
            yield from _write_sheet(zf, sink, number, sheet)
    yield sink.take()


def _write_sheet(zf: zipfile.ZipFile, sink: _Sink, number: int, sheet: Sheet) -> Iterator[bytes]:
    letters = [column_letter(i) for i in range(len(sheet.header))]
    with zf.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
        part.write(_sheet_open(sheet).encode())
        part.write(_header_row(sheet.header, letters).encode())
        r = 1
        for chunk in sheet.chunks():
            lines: list[str] = []
            for row in chunk:
                r += 1
                if r > MAX_ROWS:
                    raise ValueError("More rows than a worksheet can hold; export CSV instead.")
                while len(letters) < len(row):  # a row may be wider than the header
                    letters.append(column_letter(len(letters)))
                lines.append(_row_xml(row, r, letters, sheet.numbers_from))
            part.write("".join(lines).encode())
            yield sink.take()
        part.write(b"</sheetData></worksheet>")
    yield sink.take()
