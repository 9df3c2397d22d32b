"""Clients pages: list with search, filters and pages; add, view, edit."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians.models import AuditEvent, CaseAssignment, Patient, PatientStatus, User
from tests.clinicians.conftest import many_clients
from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.code for p in response.context["page"].object_list]


def test_the_list_shows_the_clinics_active_clients_with_their_therapist(
    as_admin: Client, clients: dict[str, Patient]
) -> None:
    response = as_admin.get("/console/clients/")
    assert codes(response) == ["A-001", "A-002"]
    page = response.content.decode()
    assert "Tess Therapist" in page and "Theo Therapist" in page
    assert "B-001" not in page


def test_search_finds_clients_by_code_or_name(
    as_admin: Client, clients: dict[str, Patient]
) -> None:
    assert codes(as_admin.get("/console/clients/?q=a-00")) == ["A-001", "A-002"]
    assert codes(as_admin.get("/console/clients/?q=alice")) == ["A-001"]
    assert codes(as_admin.get("/console/clients/?q=bella")) == []  # clinic B's


def test_filters_by_therapist_without_therapist_and_status(
    as_admin: Client, clients: dict[str, Patient], therapist_a2: User
) -> None:
    make_client(therapist_a2.clinic, "A-003")
    make_client(
        therapist_a2.clinic,
        "A-004",
        status=PatientStatus.DISCHARGED,
        discharged_on="2024-02-01",
        activated_on="2024-01-01",
    )
    assert codes(as_admin.get(f"/console/clients/?therapist={therapist_a2.pk}")) == ["A-002"]
    assert codes(as_admin.get("/console/clients/?therapist=none")) == ["A-003"]
    assert codes(as_admin.get("/console/clients/?status=discharged")) == ["A-004"]
    assert len(codes(as_admin.get("/console/clients/?status=all"))) == 4


@pytest.mark.parametrize(
    "query",
    [
        "?therapist=abc",
        "?therapist=-1",
        "?status=nope",
        "?page=abc",
        "?page=-5",
        "?page=99999",
        "?q=" + "x" * 5000,
        "?therapist=99999999999999999999999",
    ],
)
def test_odd_query_strings_never_fail(
    as_admin: Client, clients: dict[str, Patient], query: str
) -> None:
    assert as_admin.get("/console/clients/" + query).status_code == 200


def test_another_clinics_therapist_id_filters_nothing_in(
    as_admin: Client, admin_b: User, clients: dict[str, Patient]
) -> None:
    assert codes(as_admin.get(f"/console/clients/?therapist={admin_b.pk}")) == ["A-001", "A-002"]


def test_the_list_has_pages_of_fifty(as_admin: Client, admin_a: User) -> None:
    many_clients(admin_a.clinic, 120)
    first = as_admin.get("/console/clients/")
    assert len(codes(first)) == 50
    assert "Page 1 of 3" in first.content.decode()
    assert codes(as_admin.get("/console/clients/?page=3")) == [
        f"M-{i:04d}" for i in range(100, 120)
    ]


def test_adding_a_client_with_a_therapist(
    as_admin: Client, admin_a: User, therapist_a1: User
) -> None:
    response = as_admin.post(
        "/console/clients/new/",
        {
            "code": " C-77 ",
            "display_name": "Cleo",
            "email": "cleo@example.test",
            "preferred_language": "DE",
            "therapist": therapist_a1.pk,
        },
    )
    patient = Patient.objects.get(code="C-77")
    assert response.url == f"/console/clients/{patient.pk}/"
    assert patient.clinic == admin_a.clinic and patient.preferred_language == "de"
    assert (
        CaseAssignment.objects.get(patient=patient, ended_at__isnull=True).therapist == therapist_a1
    )
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert actions == {"client_created", "client_assigned"}


def test_a_code_already_used_is_refused_whatever_its_case(
    as_admin: Client, client_a1: Patient
) -> None:
    response = as_admin.post("/console/clients/new/", {"code": "a-001", "preferred_language": "en"})
    assert response.status_code == 200
    assert "already exists in your clinic" in response.content.decode()
    assert Patient.objects.filter(code__iexact="a-001").count() == 1


def test_the_same_code_may_exist_in_another_clinic(as_admin: Client, client_b1: Patient) -> None:
    as_admin.post("/console/clients/new/", {"code": "B-001", "preferred_language": "en"})
    assert Patient.objects.filter(code="B-001").count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "", "preferred_language": "en"}, "This field is required"),
        ({"code": "X" * 41, "preferred_language": "en"}, "at most 40 characters"),
        ({"code": "X1", "email": "nope", "preferred_language": "en"}, "valid email"),
        ({"code": "X1", "preferred_language": "english!"}, "language code"),
        ({"code": "X1", "preferred_language": "en", "therapist": "999999"}, "valid choice"),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(
    as_admin: Client, data: dict[str, str], message: str
) -> None:
    response = as_admin.post("/console/clients/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_a_deactivated_therapist_cannot_be_chosen(as_admin: Client, therapist_a1: User) -> None:
    User.objects.filter(pk=therapist_a1.pk).update(is_active=False)
    response = as_admin.post(
        "/console/clients/new/",
        {"code": "X1", "preferred_language": "en", "therapist": therapist_a1.pk},
    )
    assert "valid choice" in response.content.decode()


def test_the_detail_page_shows_history_and_records_the_view(
    as_admin: Client, admin_a: User, client_a1: Patient
) -> None:
    page = as_admin.get(f"/console/clients/{client_a1.pk}/").content.decode()
    assert "Alice Client" in page and "Tess Therapist" in page
    assert AuditEvent.objects.filter(action="client_viewed", patient=client_a1).count() == 1


def test_editing_records_which_fields_changed_but_not_their_values(
    as_admin: Client, client_a1: Patient
) -> None:
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/edit/",
        {"code": "A-001", "display_name": "Alice C.", "email": "", "preferred_language": "en"},
    )
    assert response.status_code == 302
    client_a1.refresh_from_db()
    assert client_a1.display_name == "Alice C." and client_a1.email == ""
    event = AuditEvent.objects.get(action="client_updated")
    assert event.detail == {"fields": ["display_name", "email"]}
    assert "Alice" not in str(event.detail)


def test_editing_to_a_code_of_another_client_is_refused(
    as_admin: Client, client_a1: Patient, client_a2: Patient
) -> None:
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/edit/",
        {"code": "A-002", "preferred_language": "en"},
    )
    assert "already exists" in response.content.decode()
    client_a1.refresh_from_db()
    assert client_a1.code == "A-001"


def test_saving_without_changes_writes_no_audit_line(as_admin: Client, client_a1: Patient) -> None:
    as_admin.post(
        f"/console/clients/{client_a1.pk}/edit/",
        {
            "code": "A-001",
            "display_name": "Alice Client",
            "email": "alice@example.test",
            "preferred_language": "en",
        },
    )
    assert not AuditEvent.objects.filter(action="client_updated").exists()


def test_cells_that_look_like_formulas_are_shown_as_text(as_admin: Client, admin_a: User) -> None:
    make_client(admin_a.clinic, "=1+1", display_name="<script>alert(1)</script>")
    page = as_admin.get("/console/clients/?status=all").content.decode()
    assert "=1+1" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
