"""Exports and API keys in a real browser: a pseudonymised XLSX for research, a big
export with its progress page, and an API key made and revoked.

Screenshots of each page go to $EXPORT_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from assessments.models import OccasionKind
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("EXPORT_SCREENSHOTS", tempfile.gettempdir()))


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"exports-{name}.png"), full_page=True)


def fill_in(therapist: User, patient: Patient, sessions: int) -> None:
    for n in range(1, sessions + 1):
        staff_entry_submit(
            actor=therapist,
            patient=patient,
            form_code="wai-sr-client",
            rater="client",
            occasion=Occasion(OccasionKind.SESSION, n, "", date(2026, 3, n)),
            answers={i: (n + i) % 5 + 1 for i in range(1, 13)},
        )


def test_an_admin_downloads_a_pseudonymised_xlsx_and_follows_a_big_export(  # type: ignore[no-untyped-def]
    page,
    live_server,
    settings: Any,
    admin_a: User,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
    client_a2: Patient,
    tmp_path: Path,
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    fill_in(therapist_a1, client_a1, 3)
    fill_in(therapist_a2, client_a2, 2)

    sign_in(page, admin_a.email, PASSWORD)
    page.goto("/exports/")
    assert page.get_by_role("heading", name="Export questionnaires").is_visible()
    shot(page, "01-form")

    # --- a pseudonymised workbook, straight into analysis ---------------------------------
    page.get_by_label("Excel workbook (XLSX)").check()
    page.get_by_label("Pseudonymised for research").check()
    with page.expect_download() as caught:
        page.get_by_role("button", name="Export").click()
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    assert "pseudonymised" in download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(io.BytesIO(saved.read_bytes()), read_only=True)
    rows = list(book["questionnaires"].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 5
    assert header[0] == "client_pseudonym" and "total_pomp" in header
    assert {row[0] for row in data} == {"P0001", "P0002"}
    text = repr(rows)
    for secret in ("A-001", "A-002", "Alice", "Aaron", "alice@example.test", "Tess", "Theo"):
        assert secret not in text

    # --- bigger than a direct download: the progress page, then the file -------------------
    settings.ALLIANCE_EXPORT_STREAM_MAX_ROWS = 1
    page.goto("/exports/")
    page.get_by_label("CSV (UTF-8)").check()
    page.get_by_role("button", name="Export").click()
    page.wait_for_url("**/exports/jobs/*/")
    shot(page, "02-job")
    ready = page.get_by_role("link", name="Download")
    ready.wait_for(timeout=20_000)  # the page polls, then reloads when the file is ready
    assert page.get_by_text("Ready: 5 questionnaires").is_visible()
    shot(page, "03-job-done")
    with page.expect_download() as caught:
        ready.click()
    csv_text = Path(caught.value.path()).read_text(encoding="utf-8")
    assert csv_text.count("\n") == 6 and "A-001" in csv_text

    # --- an API key for the health record ----------------------------------------------------
    page.goto("/console/api-keys/")
    page.get_by_label("Name").fill("Health record")
    page.get_by_label("Read completed questionnaires: answers and scores").check()
    page.get_by_role("button", name="Make the key").click()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("alk_")
    shot(page, "04-api-key")
    response = page.request.get(
        "/api/v1/questionnaires", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status == 200 and len(response.json()["items"]) == 5
    page.get_by_role("link", name="Revoke Health record").click()
    shot(page, "05-revoke")
    page.get_by_role("button", name="Revoke the key").click()
    assert page.get_by_text("is revoked").is_visible()
    refused = page.request.get("/api/v1/questionnaires", headers={"Authorization": f"Bearer {key}"})
    assert refused.status == 401
    assert not errors, errors


def test_a_therapist_exports_their_caseload_on_a_phone(  # type: ignore[no-untyped-def]
    phone_page,
    live_server,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
    client_a2: Patient,
) -> None:
    fill_in(therapist_a1, client_a1, 2)
    fill_in(therapist_a2, client_a2, 1)
    sign_in(phone_page, therapist_a1.email, PASSWORD)
    phone_page.goto("/exports/")
    assert phone_page.get_by_label("Therapist of the sessions").count() == 0
    shot(phone_page, "06-therapist-phone")
    phone_page.get_by_label("CSV (UTF-8)").check()
    with phone_page.expect_download() as caught:
        phone_page.get_by_role("button", name="Export").click()
    csv_text = Path(caught.value.path()).read_text(encoding="utf-8")
    assert "A-001" in csv_text and "A-002" not in csv_text
