"""Exports for research: who gets which rows, the columns, pseudonyms, formats, audit."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command

from assessments.questionnaires.selectors import administrations_visible_to
from assessments.scoring.sheet import FIGURE_COLUMNS, SCORE_COLUMNS
from clinicians.models import AuditEvent, CaseAssignment, Patient, User
from integrations.exports.rows import ExportData, ExportFilters, pseudonym_map
from tests.conftest import client_for

from .conftest import Filled, paper, session
from .helpers import body, bulk_questionnaires, csv_rows, ndjson, post_export, xlsx_rows

pytestmark = pytest.mark.django_db


def visible_completed_ids(user: User) -> set[int]:
    return set(
        administrations_visible_to(user).filter(status="completed").values_list("pk", flat=True)
    )


@pytest.mark.parametrize("role", ["admin_a", "therapist_a1", "therapist_a2", "admin_b"])
def test_each_roles_export_holds_exactly_the_questionnaires_that_role_may_see(
    role: str, filled: Filled, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(role)
    rows = csv_rows(post_export(client_for(user)))
    exported = [int(r["questionnaire_id"]) for r in rows]
    assert len(exported) == len(set(exported)), "one row per questionnaire"
    assert set(exported) == visible_completed_ids(user)
    assert set(exported)  # every role here has something to see


def test_an_admin_gets_the_whole_clinic_and_a_therapist_their_caseload(
    admin_a: User, therapist_a1: User, filled: Filled
) -> None:
    admin_rows = csv_rows(post_export(client_for(admin_a)))
    assert {r["client_code"] for r in admin_rows} == {"A-001", "A-002"}
    tess_rows = csv_rows(post_export(client_for(therapist_a1)))
    assert {r["client_code"] for r in tess_rows} == {"A-001"}


def test_the_open_questionnaire_and_old_versions_are_not_exported(
    admin_a: User, filled: Filled
) -> None:
    rows = csv_rows(post_export(client_for(admin_a)))
    ids = [int(r["questionnaire_id"]) for r in rows]
    assert filled.open.pk not in ids
    corrected = filled.own[0]
    assert ids.count(corrected.pk) == 1
    row = next(r for r in rows if int(r["questionnaire_id"]) == corrected.pk)
    assert row["item_2"] == "5"  # the corrected answer, not the first one


def test_the_columns_are_the_issue_list_then_items_then_the_score_commands_columns(
    admin_a: User, filled: Filled
) -> None:
    response = post_export(client_for(admin_a), form_code="wai-sr-client")
    header = body(response).decode().splitlines()[0].split(",")
    assert header[:14] == [
        "questionnaire_id", "client_code", "client_name", "client_email", "therapist",
        "form", "rater", "occasion", "session_number", "occasion_note", "session_date",
        "submitted_at", "channel", "flags",
    ]  # fmt: skip
    assert header[14:26] == [f"item_{i}" for i in range(1, 13)]
    assert tuple(header[26:]) == SCORE_COLUMNS
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="alliance-')


def test_mixed_forms_share_item_columns_up_to_the_longest_form(
    therapist_a1: User, client_a1: Patient, filled: Filled
) -> None:
    paper(therapist_a1, client_a1, {i: 4 for i in range(1, 37)}, session(5), "wai-36-client")
    rows = csv_rows(post_export(client_for(therapist_a1)))
    assert "item_36" in rows[0]
    short = next(r for r in rows if r["form"] == "wai-sr-client")
    assert short["item_12"] != "" and short["item_13"] == ""


def test_a_csv_export_fed_to_manage_py_score_gives_the_same_scores(
    admin_a: User, filled: Filled, tmp_path: Path
) -> None:
    exported = tmp_path / "export.csv"
    response = post_export(client_for(admin_a), form_code="wai-sr-client")
    exported.write_bytes(body(response))
    table = pd.read_csv(exported, dtype=str, keep_default_na=False)
    assert len(table) == 3
    answers_only = tmp_path / "answers.csv"
    table.drop(columns=list(SCORE_COLUMNS)).to_csv(answers_only, index=False)
    rescored_path = tmp_path / "rescored.csv"
    call_command(
        "score",
        "--form",
        "wai-sr-client",
        "--csv",
        str(answers_only),
        "--output",
        str(rescored_path),
    )
    ours = pd.read_csv(exported)
    theirs = pd.read_csv(rescored_path)
    pd.testing.assert_frame_equal(
        ours[list(FIGURE_COLUMNS)], theirs[list(FIGURE_COLUMNS)], check_exact=True
    )
    assert ours["answered"].tolist() == theirs["answered"].tolist()
    assert ours["complete"].tolist() == theirs["complete"].tolist()
    assert ours["total_sum"].isna().sum() == 0  # one answer missing still scores (prorated)


def identifying_values(*patients: Patient) -> list[str]:
    values = []
    for p in patients:
        values += [p.code, p.display_name, p.email]
    return [v for v in values if v]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson"])
def test_a_pseudonymised_export_holds_no_client_code_name_or_email(
    fmt: str, admin_a: User, client_a1: Patient, client_a2: Patient, filled: Filled
) -> None:
    response = post_export(client_for(admin_a), format=fmt, pseudonymised="on")
    assert response.status_code == 200
    data = body(response)
    if fmt == "xlsx":
        rows = xlsx_rows(data)
        text = repr(rows) + repr(xlsx_rows(data, "about"))
        assert {r["client_pseudonym"] for r in rows} <= {"P0001", "P0002"}
        assert "client_code" not in rows[0] and "client_name" not in rows[0]
    elif fmt == "csv":
        text = data.decode()
        rows_csv = [r for r in text.splitlines()[1:]]
        assert len(rows_csv) == 4
    else:
        text = data.decode()
        resources = ndjson(data)
        assert len(resources) == 4
        assert all("id" not in r and "identifier" not in r for r in resources)
        assert {r["subject"]["identifier"]["value"] for r in resources} == {"P0001", "P0002"}
    for value in identifying_values(client_a1, client_a2):
        assert value not in text, value
    # Nor the therapists' names and emails, nor record numbers.
    for therapist in (filled.own[0].therapist, filled.colleagues[0].therapist):
        assert therapist.display_name not in text
        assert therapist.email not in text


def test_pseudonyms_are_stable_within_an_export_and_drawn_anew_for_the_next(
    admin_a: User, filled: Filled
) -> None:
    rows = csv_rows(post_export(client_for(admin_a), pseudonymised="on"))
    by_session = {(r["client_pseudonym"], r["session_number"], r["form"]) for r in rows}
    pseudonyms = {r["client_pseudonym"] for r in rows}
    assert len(pseudonyms) == 2
    assert len(by_session) == 4
    # The same client has the same pseudonym on each of their rows.
    counts = sorted(sum(r["client_pseudonym"] == p for r in rows) for p in pseudonyms)
    assert counts == [1, 3]
    # Pseudonym maps are random permutations: over many draws both orders appear.
    maps = [pseudonym_map([1, 2], "P", 4) for _ in range(64)]
    drawn = {(m[1], m[2]) for m in maps}
    assert drawn == {("P0001", "P0002"), ("P0002", "P0001")}


def test_cells_that_a_spreadsheet_would_run_are_neutralised_in_csv(
    admin_a: User, therapist_a1: User
) -> None:
    patient = Patient.objects.create(
        clinic=admin_a.clinic, code='=HYPERLINK("x")', display_name="+SUM(A1)", email=""
    )
    CaseAssignment.objects.create(patient=patient, therapist=therapist_a1)
    paper(therapist_a1, patient, {i: 3 for i in range(1, 13)}, session(1))
    row = csv_rows(post_export(client_for(admin_a)))[0]
    assert row["client_code"] == '\'=HYPERLINK("x")'
    assert row["client_name"] == "'+SUM(A1)"
    assert row["item_1"] == "3" and row["total_pomp"] == "50.0"  # numbers untouched


def test_filters_narrow_by_therapist_form_and_session_dates(
    admin_a: User, therapist_a2: User, filled: Filled
) -> None:
    browser = client_for(admin_a)
    by_theo = csv_rows(post_export(browser, therapist=therapist_a2.pk))
    assert [int(r["questionnaire_id"]) for r in by_theo] == [filled.colleagues[0].pk]
    therapist_form = csv_rows(post_export(browser, form_code="wai-s-therapist"))
    assert [r["form"] for r in therapist_form] == ["wai-s-therapist"]
    march_2 = csv_rows(post_export(browser, date_from="2026-03-02", date_to="2026-03-02"))
    assert {r["session_date"] for r in march_2} == {"2026-03-02"}
    assert len(march_2) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_from": "2026-13-45"}, "Enter a valid date."),
        (
            {"date_from": "2026-03-05", "date_to": "2026-03-01"},
            "The end date is before the start date.",
        ),
        ({"therapist": "987654"}, "Select a valid choice."),
        ({"therapist": "abc"}, "Select a valid choice."),
        ({"format": "pdf"}, "Select a valid choice."),
        ({"form_code": "no-such-form"}, "Select a valid choice."),
    ],
)
def test_bad_choices_get_a_message_and_no_file(
    fields: dict[str, str], message: str, admin_a: User, filled: Filled
) -> None:
    browser = client_for(admin_a)
    before = AuditEvent.objects.count()
    response = post_export(browser, **fields)
    assert response.status_code == 400
    assert not getattr(response, "streaming", False)
    assert message in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_another_clinics_therapist_cannot_be_chosen(admin_a: User, filled: Filled) -> None:
    response = post_export(client_for(admin_a), therapist=filled.therapist_b.pk)
    assert response.status_code == 400


def test_a_therapist_has_no_therapist_choice_and_cannot_widen_the_export(
    therapist_a1: User, therapist_a2: User, filled: Filled
) -> None:
    browser = client_for(therapist_a1)
    assert 'name="therapist"' not in browser.get("/exports/").content.decode()
    rows = csv_rows(post_export(browser, therapist=therapist_a2.pk))  # ignored
    assert {r["client_code"] for r in rows} == {"A-001"}


def test_nothing_to_export_says_so(admin_a: User, filled: Filled) -> None:
    response = post_export(client_for(admin_a), date_from="2030-01-01")
    assert response.status_code == 200
    assert "No completed questionnaires match" in response.content.decode()


def test_every_export_is_audited_with_its_filters_and_no_clinical_values(
    admin_a: User, filled: Filled
) -> None:
    post_export(client_for(admin_a), format="xlsx", pseudonymised="on", form_code="wai-sr-client")
    event = AuditEvent.objects.filter(action="export_downloaded").get()
    assert event.actor == admin_a and event.clinic == admin_a.clinic
    assert event.detail == {
        "format": "xlsx", "rows": 3, "pseudonymised": True, "form_code": "wai-sr-client"
    }  # fmt: skip


def test_an_xlsx_export_has_typed_cells_and_explains_itself(admin_a: User, filled: Filled) -> None:
    response = post_export(client_for(admin_a), format="xlsx", form_code="wai-sr-client")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = body(response)
    rows = xlsx_rows(data)
    assert len(rows) == 3
    first = rows[0]
    assert isinstance(first["item_1"], int)
    assert isinstance(first["total_pomp"], float)
    assert first["complete"] in (True, False)
    assert first["session_date"].year == 2026  # a real date, not text
    about = {r.get("field"): r.get("value") for r in xlsx_rows(data, "about")}
    assert about["questionnaires"] == 3
    frame = pd.read_excel(BytesIO(data), sheet_name="questionnaires")
    assert list(frame.columns[-len(SCORE_COLUMNS) :]) == list(SCORE_COLUMNS)


def test_the_same_number_of_queries_exports_50_or_500_questionnaires(
    admin_a: User, therapist_a1: User, client_a1: Patient, django_assert_num_queries: Any
) -> None:
    def export(expected_rows: int) -> None:
        data = ExportData(user=admin_a, filters=ExportFilters(pseudonymised=True))
        data.prepare()
        assert sum(len(chunk) for chunk in data.chunks()) == expected_rows

    # prepare: forms; the flags (clients, their clinics, norms, series); pseudonyms
    # (clients, therapists); then the responses and one answers query.
    bulk_questionnaires(client_a1, therapist_a1, 50)
    with django_assert_num_queries(9):
        export(50)
    bulk_questionnaires(client_a1, therapist_a1, 450, start=date(2024, 1, 1))
    with django_assert_num_queries(9):
        export(500)


def test_a_larger_export_reads_one_more_answer_query_per_chunk_only(
    admin_a: User, therapist_a1: User, client_a1: Patient, django_assert_num_queries: Any
) -> None:
    bulk_questionnaires(client_a1, therapist_a1, 120)
    data = ExportData(user=admin_a, filters=ExportFilters(), chunk_size=50)
    data.prepare()
    with django_assert_num_queries(1 + 3):  # the responses, then answers for 3 chunks
        assert [len(c) for c in data.chunks()] == [50, 50, 20]


def test_an_export_too_big_for_a_worksheet_is_refused_with_a_message(
    admin_a: User, filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("integrations.views.exports.MAX_ROWS", 3)
    response = post_export(client_for(admin_a), format="xlsx")
    assert response.status_code == 400
    assert "choose CSV" in response.content.decode()
