"""A client's data rights in a real browser: the admin downloads an access request and
erases the client's identity from the console."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

from assessments.models import OccasionKind
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians import services
from clinicians.models import AuditEvent, Patient, User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", tempfile.gettempdir()))


def test_an_admin_downloads_an_access_request_then_erases_the_identity(  # type: ignore[no-untyped-def]
    page,
    admin_a: User,
    therapist_a1: User,
    client_a1: Patient,
    client_a2: Patient,
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    staff_entry_submit(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        rater="client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", date(2026, 11, 2)),
        answers={i: 4 for i in range(1, 13)},
    )
    services.patient_discharge(actor=admin_a, patient=client_a1)

    sign_in(page, admin_a.email, PASSWORD)
    page.goto(f"/console/clients/{client_a1.pk}/")

    # --- access request: the page, then the JSON file --------------------------------
    page.get_by_role("link", name="Access request").click()
    assert page.get_by_role("heading", name="Access request for A-001").is_visible()
    assert page.get_by_text("Alice Client").first.is_visible()
    page.screenshot(path=str(SHOTS / "data-rights-01-access-request.png"), full_page=True)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download JSON").click()
    download = waiting.value
    assert download.suggested_filename == "access-request-A-001.json"
    doc = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert doc["client"]["code"] == "A-001"
    assert doc["client"]["email"] == "alice@example.test"
    (questionnaire,) = doc["questionnaires"]
    (version,) = questionnaire["responses"]
    assert [a["value"] for a in version["answers"]] == [4] * 12
    assert version["scores"]["total"]["mean"] == 4.0
    assert "Aaron" not in json.dumps(doc)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download HTML page").click()
    html = Path(waiting.value.path()).read_text(encoding="utf-8")
    assert "Your data held by Northside Therapy" in html and "Alice Client" in html

    # --- erasure: a wrong code first, then the right one ------------------------------
    page.goto(f"/console/clients/{client_a1.pk}/")
    page.get_by_role("link", name="Erase identity").click()
    page.get_by_label("Type the client's code to confirm").fill("A-002")
    page.get_by_role("button", name="Erase identity").click()
    assert page.get_by_text("That is not this client's code").is_visible()
    page.get_by_label("Type the client's code to confirm").fill("A-001")
    page.screenshot(path=str(SHOTS / "data-rights-02-erase.png"), full_page=True)
    page.get_by_role("button", name="Erase identity").click()
    assert page.get_by_text("The client's identity is erased").is_visible()
    erased = Patient.objects.get(pk=client_a1.pk)
    assert erased.code.startswith("ERASED-")
    assert page.get_by_role("heading", name=f"Client {erased.code}").is_visible()
    body = page.content()
    assert "Alice" not in body and "alice@example.test" not in body
    page.screenshot(path=str(SHOTS / "data-rights-03-erased.png"), full_page=True)

    # The other client is untouched; the erasure is in the audit log.
    client_a2.refresh_from_db()
    assert (client_a2.code, client_a2.display_name) == ("A-002", "Aaron Client")
    assert AuditEvent.objects.filter(action="client_erased", patient=erased).count() == 1
    assert errors == []
