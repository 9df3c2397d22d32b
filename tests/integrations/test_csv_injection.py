"""Finding 1: the CSV formula guard held against a carriage return or line feed.

A client named `Ann\\r=cmd|' /C calc'!A0` (saved before names refused control
characters, or through the API of another system) must not give any reader a row or a
line that starts with a formula.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.models import OccasionKind
from assessments.questionnaires.links import Occasion
from clinicians.models import Patient, User
from integrations.exports.writers import neutralise
from tests.conftest import client_for, make_client

from .conftest import paper, sr
from .helpers import body, post_export

pytestmark = pytest.mark.django_db

EVIL_NAMES = [
    "Ann\r=cmd|' /C calc'!A0",
    "Bob\n+1+1",
    "Cy\r\n@SUM(A1)",
    "\r=2*3",
    'Dee\n\t=HYPERLINK("x")',
    "Eve\r\r-1+2",
]
FORMULA = ("=", "+", "-", "@", "\t")


def _lines(cell: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", cell)


def _no_formula_anywhere(cells: list[str]) -> None:
    for cell in cells:
        for line in _lines(cell):
            assert not line.startswith(FORMULA), repr(cell)


@pytest.fixture
def evil(admin_a: User, therapist_a1: User) -> list[Patient]:
    patients = []
    for i, name in enumerate(EVIL_NAMES):
        patient = make_client(admin_a.clinic, f"E-{i}", therapist_a1, display_name=name)
        note = "x\r=1+1" if i == 0 else ""
        paper(
            therapist_a1,
            patient,
            sr(*[4] * 12),
            Occasion(
                OccasionKind.OTHER if note else OccasionKind.SESSION,
                None if note else 1,
                note,
                date(2026, 3, 1),
            ),
        )
        patients.append(patient)
    return patients


def _export(admin: User) -> bytes:
    return body(post_export(client_for(admin), format="csv"))


def test_lines_end_with_crlf_and_cells_with_a_line_break_are_quoted(
    admin_a: User, evil: list[Patient]
) -> None:
    data = _export(admin_a).decode()
    header = data.partition("\r\n")[0]
    assert header.startswith("questionnaire_id,")
    assert data.endswith("\r\n")
    # Outside quotes, the only line breaks are the CRLFs that end rows.
    outside = re.sub(r'"(?:[^"]|"")*"', '""', data)
    assert "\r" not in outside.replace("\r\n", "")
    assert "\n" not in outside.replace("\r\n", "")


def test_the_csv_module_reads_one_row_per_questionnaire_and_no_formula(
    admin_a: User, evil: list[Patient]
) -> None:
    rows = list(csv.reader(io.StringIO(_export(admin_a).decode(), newline="")))
    header, body_rows = rows[0], rows[1:]
    assert len(body_rows) == len(EVIL_NAMES)
    assert all(len(row) == len(header) for row in body_rows)
    names = [row[header.index("client_name")] for row in body_rows]
    assert {n.replace("'", "") for n in names} == {n.replace("'", "") for n in EVIL_NAMES}
    for row in body_rows:
        _no_formula_anywhere(row[: header.index("submitted_at")])
    notes = [row[header.index("occasion_note")] for row in body_rows]
    assert "x\r'=1+1" in notes


def test_pandas_reads_one_row_per_questionnaire_and_no_formula(
    admin_a: User, evil: list[Patient]
) -> None:
    frame = pd.read_csv(io.BytesIO(_export(admin_a)), dtype=str, keep_default_na=False)
    assert len(frame) == len(EVIL_NAMES)
    assert frame["questionnaire_id"].str.fullmatch(r"\d+").all()
    for column in ("client_code", "client_name", "occasion_note", "therapist", "form"):
        _no_formula_anywhere(list(frame[column]))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\n ab'\"")), max_size=12))
def test_neutralise_leaves_no_line_starting_with_a_formula(text: str) -> None:
    guarded = neutralise(text)
    _no_formula_anywhere([guarded])
    # Nothing is lost: removing the apostrophes it added gives the text back.
    assert len(guarded) >= len(text)
