"""Every read of clinical data leaves an audit line: who, when, which client, from where.

Pages about one client write one line naming the client; lists of many clients write
one line naming the list (not one per client). No line holds a clinical value.
"""

from __future__ import annotations

import pytest
from django.test import Client

from assessments.questionnaires.links import IssuedLink
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import AuditEvent, ImportBatch, Patient, User
from tests.conftest import client_for
from tests.questionnaires.fixtures import SESSION_3

pytestmark = pytest.mark.django_db

VIEW = "client_data_viewed"


def last_view() -> AuditEvent:
    return AuditEvent.objects.filter(action=VIEW).latest("id")


def views() -> int:
    return AuditEvent.objects.filter(action=VIEW).count()


@pytest.fixture
def completed(therapist_a1: User, client_a1: Patient):  # type: ignore[no-untyped-def]
    return staff_entry_submit(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        rater="client",
        occasion=SESSION_3,
        answers={i: 4 for i in range(1, 13)},
    )


def _get(c: Client, url: str) -> None:
    response = c.get(url, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200, url


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ("client", "/clients/{client}/"),
        ("paper_entry", "/clients/{client}/paper/"),
        ("own_rating", "/clients/{client}/own-rating/"),
        ("request_new", "/clients/{client}/questionnaires/new/"),
        ("questionnaire", "/questionnaires/{administration}/"),
        ("correction", "/responses/{response}/correct/"),
        ("client_edit", "/console/clients/{client}/edit/"),
        ("client_discharge", "/console/clients/{client}/discharge/"),
        ("client_assign", "/console/clients/{client}/assign/"),
    ],
)
def test_each_page_about_one_client_writes_who_when_which_and_where(
    page: str, url: str, therapist_a1: User, admin_a: User, client_a1: Patient, completed
) -> None:
    before = views()
    _get(
        client_for(
            admin_a if url.startswith("/console/") or page == "correction" else therapist_a1
        ),
        url.format(
            client=client_a1.pk,
            administration=completed.administration_id,
            response=completed.pk,
        ),
    )
    assert views() == before + 1
    line = last_view()
    assert line.actor in (therapist_a1, admin_a)
    assert line.patient == client_a1
    assert line.clinic_id == client_a1.clinic_id
    assert line.ip == "198.51.100.4"
    assert line.at is not None
    assert line.detail["page"] == page
    # References only: no answers, scores, names or email addresses.
    text = str(line.detail)
    assert "Alice" not in text and "@" not in text and "pomp" not in text.lower()


def test_a_fhir_download_writes_who_when_which_and_where(
    therapist_a1: User, client_a1: Patient, completed
) -> None:
    _get(client_for(therapist_a1), f"/questionnaires/{completed.administration_id}/fhir.json")
    line = AuditEvent.objects.filter(action="questionnaire_exported").latest("id")
    assert (line.actor, line.patient, line.ip) == (therapist_a1, client_a1, "198.51.100.4")
    assert line.detail == {"format": "fhir"}


def test_the_console_client_page_still_writes_its_line(admin_a: User, client_a1: Patient) -> None:
    _get(client_for(admin_a), f"/console/clients/{client_a1.pk}/")
    assert AuditEvent.objects.filter(action="client_viewed", patient=client_a1).exists()


@pytest.mark.parametrize(
    ("role", "url", "page"),
    [
        ("therapist", "/caseload/", "caseload"),
        ("admin", "/console/import/{batch}/", "import_batch"),
        ("admin", "/console/therapists/{therapist}/transfer/", "therapist_transfer"),
        ("admin", "/console/clients/", "client_list"),
        ("admin", "/console/alliance/", "clinic_alliance"),
        ("admin", "/console/audit/", "audit_log"),
    ],
)
def test_a_list_of_clients_writes_one_line_naming_the_list(
    role: str, url: str, page: str, cast: dict[str, User], clients: dict[str, Patient]
) -> None:
    batch = ImportBatch.objects.create(
        clinic=cast["admin"].clinic, created_by=cast["admin"], filename="a.csv", rows=[]
    )
    before = AuditEvent.objects.filter(action="client_list_viewed").count()
    _get(
        client_for(cast[role]),
        url.format(batch=batch.pk, therapist=cast["therapist"].pk),
    )
    lines = AuditEvent.objects.filter(action="client_list_viewed")
    assert lines.count() == before + 1
    line = lines.latest("id")
    assert line.detail["page"] == page and line.patient is None
    assert line.actor == cast[role] and line.ip == "198.51.100.4"


def test_a_refused_page_writes_no_view_line(therapist_a1: User, client_a2: Patient) -> None:
    before = views()
    assert client_for(therapist_a1).get(f"/clients/{client_a2.pk}/").status_code == 404
    assert views() == before


def test_the_audit_page_filters_views_from_changes(
    admin_a: User, client_a1: Patient, issued: IssuedLink
) -> None:
    c = client_for(admin_a)
    _get(c, f"/clients/{client_a1.pk}/")
    only_views = c.get("/console/audit/", {"kind": "views"}).context["rows"]
    only_changes = c.get("/console/audit/", {"kind": "changes"}).context["rows"]
    reads = {VIEW, "client_viewed", "client_list_viewed"}
    assert only_views and all(row[0].action in reads for row in only_views)
    assert only_changes and all(row[0].action not in reads for row in only_changes)
    assert any(row[0].action == "questionnaire_requested" for row in only_changes)


def test_the_audit_page_names_views_in_words(admin_a: User, client_a1: Patient) -> None:
    c = client_for(admin_a)
    _get(c, f"/clients/{client_a1.pk}/")
    _get(c, "/console/clients/")
    page = c.get("/console/audit/").content.decode()
    assert "Client data viewed" in page
    assert "List of clients viewed" in page
