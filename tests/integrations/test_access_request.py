"""An admin answers a client's access request (GDPR Art. 15): everything, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assessments.models import Response
from clinicians.models import AuditEvent, Patient, User
from tests.conftest import client_for

from .conftest import Filled

pytestmark = pytest.mark.django_db


def download(user: User, patient: Patient, ext: str = "json") -> Any:
    return client_for(user).get(f"/console/clients/{patient.pk}/access-request.{ext}")


def test_the_json_file_holds_details_therapists_every_version_and_the_audit_lines(
    admin_a: User, filled: Filled, client_a1: Patient
) -> None:
    response = download(admin_a, client_a1)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="access-request-A-001.json"'
    doc = json.loads(response.content)
    assert doc["client"]["code"] == "A-001"
    assert doc["client"]["name"] == "Alice Client"
    assert doc["client"]["email"] == "alice@example.test"
    assert [t["therapist"] for t in doc["therapists"]] == ["Tess Therapist"]
    # Every questionnaire of the client, the open one too, and nobody else's.
    ids = {q["id"] for q in doc["questionnaires"]}
    assert ids == {a.pk for a in filled.own} | {filled.open.pk}
    versions = [r for q in doc["questionnaires"] for r in q["responses"]]
    stored = Response.objects.filter(administration__patient=client_a1)
    assert len(versions) == stored.count() == 4  # one corrected: two versions
    corrected = next(q for q in doc["questionnaires"] if len(q["responses"]) == 2)
    old, new = corrected["responses"]
    assert [a["value"] for a in old["answers"]][:2] == [5, 4]
    assert [a["value"] for a in new["answers"]][:2] == [5, 5]
    assert not old["current"] and new["current"]
    latest = stored.get(
        pk=Response.objects.filter(is_current=True, administration_id=corrected["id"]).get().pk
    )
    assert new["scores"]["total"]["pomp"] == latest.total_pomp
    assert new["scores"]["goal"]["sum"] == latest.goal_sum
    assert new["answers"][0]["text"]  # the question's wording, for a reader
    # The audit lines about the client, the download itself included.
    actions = [e["action"] for e in doc["audit_log"]]
    assert {"paper_form_entered", "questionnaire_corrected", "questionnaire_requested"} <= set(
        actions
    )
    assert actions[-1] == "access_request_downloaded"
    assert "Aaron" not in response.content.decode()  # the colleague's client


def test_the_html_page_is_a_readable_file(
    admin_a: User, filled: Filled, client_a1: Patient
) -> None:
    response = download(admin_a, client_a1, "html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" in response["Content-Disposition"]
    page = response.content.decode()
    assert "<h1>Your data held by Northside Therapy</h1>" in page
    assert "Alice Client" in page and "wai-sr-client" in page


def test_the_page_in_the_console_offers_both_files(
    admin_a: User, filled: Filled, client_a1: Patient
) -> None:
    page = client_for(admin_a).get(f"/console/clients/{client_a1.pk}/access-request/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "access-request.json" in text and "access-request.html" in text


def test_each_download_is_audited(admin_a: User, filled: Filled, client_a1: Patient) -> None:
    download(admin_a, client_a1)
    download(admin_a, client_a1, "html")
    lines = AuditEvent.objects.filter(action="access_request_downloaded", patient=client_a1)
    assert sorted(e.detail["format"] for e in lines) == ["html", "json"]
    assert all(e.actor == admin_a for e in lines)
    # No clinical values in the audit line.
    assert all(set(e.detail) == {"format"} for e in lines)


def test_other_clinics_and_therapists_get_nothing(
    admin_b: User, therapist_a1: User, filled: Filled, client_a1: Patient
) -> None:
    assert download(admin_b, client_a1).status_code == 404
    assert download(therapist_a1, client_a1).status_code == 403
    assert not AuditEvent.objects.filter(action="access_request_downloaded").exists()


def test_it_costs_a_fixed_number_of_queries(
    admin_a: User, filled: Filled, client_a1: Patient, django_assert_max_num_queries: Any
) -> None:
    browser = client_for(admin_a)
    with django_assert_max_num_queries(16):
        assert (
            browser.get(f"/console/clients/{client_a1.pk}/access-request.json").status_code == 200
        )
