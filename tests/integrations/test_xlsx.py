"""The streaming XLSX writer makes workbooks that openpyxl and pandas read back exactly."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
from openpyxl import load_workbook

from integrations.exports.xlsx import Sheet, column_letter, stream_xlsx


def test_column_letters_run_past_z() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_cells_come_back_with_their_types_and_text_is_never_a_formula() -> None:
    rows = [
        ["=1+1", "  padded ", "bad\x00char & <tag>", 7, 2.5, True, None, date(2026, 3, 1),
         datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC)],
        ["x", "", "", 0, 0.1, False, 3, None, None, "wider than the header"],
    ]  # fmt: skip
    header = ["f", "p", "s", "i", "x", "b", "n", "d", "t"]
    data = b"".join(
        stream_xlsx(
            [
                Sheet("one", header, lambda: [rows[:1], rows[1:]]),
                Sheet("two", ["k"], lambda: [[["v"]]]),
            ]
        )
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book["one"]
    first = [c.value for c in sheet[2]]
    assert first[:7] == ["=1+1", "  padded ", "badchar & <tag>", 7, 2.5, True, None]
    assert sheet["A2"].data_type == "s"  # text, not a formula
    assert first[7] == datetime(2026, 3, 1)
    assert first[8] == datetime(2026, 3, 1, 12, 30, 15)
    second = [c.value for c in sheet[3]]
    assert second[3:7] == [0, 0.1, False, 3] and second[9] == "wider than the header"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in book["two"][2]] == ["v"]
    frame = pd.read_excel(io.BytesIO(data), sheet_name="one")
    assert list(frame.columns) == [*header, "Unnamed: 9"]
    assert len(frame) == 2


def test_the_fast_path_for_number_columns_writes_the_same_cells() -> None:
    rows = [["a", date(2026, 1, 2), 4, None, 3.75, True], ["b", None, None, 2, 0.0, False]]

    def sheet(numbers_from: int | None) -> bytes:
        return b"".join(
            stream_xlsx([Sheet("s", list("abcdef"), lambda: [rows], numbers_from=numbers_from)])
        )

    def cells(data: bytes) -> list[list[object]]:
        book = load_workbook(io.BytesIO(data))
        return [[c.value for c in row] for row in book["s"].iter_rows()]

    assert cells(sheet(2)) == cells(sheet(None))
