"""The audit log page and what the console writes to it."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians import services
from clinicians.models import AuditEvent, Patient, User
from tests.clinicians.spreadsheets import csv_bytes, many_rows
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def actions(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.action for e, *_ in response.context["rows"]]


@pytest.fixture
def history(
    admin_a: User, therapist_a1: User, therapist_a2: User, clients: dict[str, Patient]
) -> None:
    """One of each kind of write, by clinic A's admin, plus one in clinic B."""
    own = clients["own"]
    services.patient_update(
        actor=admin_a,
        patient=own,
        code=own.code,
        display_name="Alice New",
        email=own.email,
        preferred_language="en",
    )
    services.case_assign(actor=admin_a, patient=own, therapist=therapist_a2)
    services.patient_discharge(actor=admin_a, patient=clients["colleagues"])
    services.therapist_invite(actor=admin_a, email="n@northside.test", display_name="N")
    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=csv_bytes(many_rows(2))
    )
    services.patients_import(actor=admin_a, batch=batch)


def test_every_kind_of_write_is_in_the_log_with_actor_time_and_ip(
    as_admin: Client, admin_a: User, history: None
) -> None:
    expected = {
        "client_updated",
        "client_reassigned",
        "client_discharged",
        "therapist_invited",
        "import_checked",
        "import_confirmed",
        "client_imported",
    }
    logged = set(AuditEvent.objects.values_list("action", flat=True))
    assert expected <= logged
    response = as_admin.get("/console/audit/")
    shown = set(actions(response))
    assert expected <= shown
    page = response.content.decode()
    assert "Therapist changed" in page and "Client discharged" in page
    # Therapist ids in the details read as names.
    assert "therapist: Theo Therapist" in page
    # The page itself is answered from REMOTE_ADDR; writes made in a request keep it.
    as_admin.post(
        "/console/clients/new/",
        {"code": "IP-1", "preferred_language": "en"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert AuditEvent.objects.get(action="client_created").ip == "10.1.2.3"


def test_no_clinical_or_personal_values_are_written_in_details(history: None) -> None:
    for event in AuditEvent.objects.all():
        text = str(event.detail)
        assert "Alice" not in text and "@example.test" not in text


def test_the_log_can_be_filtered_by_client_code(
    as_admin: Client, history: None, clients: dict[str, Patient]
) -> None:
    response = as_admin.get("/console/audit/?client=a-001")
    assert set(actions(response)) == {"client_updated", "client_reassigned"}
    assert all(e.patient == clients["own"] for e, *_ in response.context["rows"])


def test_the_log_can_be_filtered_by_actor(
    as_admin: Client, admin_a: User, therapist_a1: User, history: None
) -> None:
    services.invitation_accept(user=therapist_a1)
    response = as_admin.get(f"/console/audit/?actor={therapist_a1.pk}")
    assert actions(response) == ["invitation_accepted"]


def test_an_unknown_code_says_so_and_another_clinics_code_looks_the_same(
    as_admin: Client, history: None, clients: dict[str, Patient]
) -> None:
    unknown = as_admin.get("/console/audit/?client=NOPE").content.decode()
    theirs = as_admin.get("/console/audit/?client=B-001").content.decode()
    assert "No client of your clinic has this code" in unknown
    assert "No client of your clinic has this code" in theirs


def test_another_clinics_actor_is_not_a_valid_choice(
    as_admin: Client, admin_b: User, history: None
) -> None:
    response = as_admin.get(f"/console/audit/?actor={admin_b.pk}")
    assert response.status_code == 200
    assert "valid choice" in response.content.decode()


def test_an_admin_sees_only_their_clinics_lines(
    admin_b: User, history: None, client_b1: Patient
) -> None:
    services.patient_discharge(actor=admin_b, patient=client_b1)
    c = client_for(admin_b)
    response = c.get("/console/audit/")
    assert sorted(actions(response)) == ["client_discharged", "login"]
    assert all(e.clinic_id == admin_b.clinic_id for e, *_ in response.context["rows"])


def test_the_log_is_append_only(history: None) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_the_log_pages_by_fifty(as_admin: Client, admin_a: User) -> None:
    for _ in range(59):  # and one sign-in line
        services.therapist_invite(actor=admin_a, email="same@northside.test", display_name="S")
    assert len(actions(as_admin.get("/console/audit/"))) == 50
    # Reading the log is itself a line (a list of clients viewed): the first visit's.
    assert len(actions(as_admin.get("/console/audit/?page=2"))) == 11
