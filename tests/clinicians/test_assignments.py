"""Assigning a client to a therapist: one current therapist, history kept, races safe."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from clinicians import services
from clinicians.access import patients_visible_to
from clinicians.models import AuditEvent, CaseAssignment, Patient, PatientStatus, User
from clinicians.services import caseloads
from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def current_therapists(patient: Patient) -> list[User]:
    return [
        a.therapist for a in CaseAssignment.objects.filter(patient=patient, ended_at__isnull=True)
    ]


def test_assigning_an_unassigned_client(
    as_admin: Client, admin_a: User, therapist_a1: User
) -> None:
    patient = make_client(admin_a.clinic, "A-010")
    response = as_admin.post(
        f"/console/clients/{patient.pk}/assign/", {"therapist": therapist_a1.pk}
    )
    assert response.status_code == 302
    assert current_therapists(patient) == [therapist_a1]
    event = AuditEvent.objects.get(action="client_assigned")
    assert event.patient == patient and event.detail["therapist"] == therapist_a1.pk


def test_reassigning_ends_the_old_stretch_and_keeps_it(
    as_admin: Client, client_a1: Patient, therapist_a1: User, therapist_a2: User
) -> None:
    as_admin.post(f"/console/clients/{client_a1.pk}/assign/", {"therapist": therapist_a2.pk})
    assert current_therapists(client_a1) == [therapist_a2]
    old = CaseAssignment.objects.get(patient=client_a1, therapist=therapist_a1)
    assert old.ended_at is not None
    assert client_a1 not in patients_visible_to(therapist_a1)
    assert client_a1 in patients_visible_to(therapist_a2)
    assert AuditEvent.objects.get(action="client_reassigned").detail == {
        "therapist": therapist_a2.pk,
        "previous_therapist": therapist_a1.pk,
    }


def test_assigning_the_same_therapist_again_changes_nothing(
    admin_a: User, client_a1: Patient, therapist_a1: User
) -> None:
    result = services.case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a1)
    assert not result.changed
    assert CaseAssignment.objects.filter(patient=client_a1).count() == 1


def test_a_discharged_client_cannot_be_assigned(
    as_admin: Client, admin_a: User, therapist_a1: User
) -> None:
    patient = make_client(
        admin_a.clinic,
        "A-011",
        status=PatientStatus.DISCHARGED,
        discharged_on="2024-02-01",
        activated_on="2024-01-01",
    )
    response = as_admin.post(
        f"/console/clients/{patient.pk}/assign/", {"therapist": therapist_a1.pk}, follow=True
    )
    assert "Reactivate the client" in response.content.decode()
    with pytest.raises(services.ServiceError):
        services.case_assign(actor=admin_a, patient=patient, therapist=therapist_a1)
    assert not CaseAssignment.objects.filter(patient=patient).exists()


def test_an_admin_of_another_clinic_cannot_assign_to_or_from_clinic_a(
    admin_b: User, client_a1: Patient, client_b1: Patient, therapist_a2: User
) -> None:
    with pytest.raises(services.ServiceError):
        services.case_assign(actor=admin_b, patient=client_a1, therapist=therapist_a2)
    with pytest.raises(services.ServiceError):
        services.case_assign(actor=admin_b, patient=client_b1, therapist=therapist_a2)
    assert not CaseAssignment.objects.filter(patient=client_b1).exists()


def test_a_therapist_of_another_clinic_is_not_a_valid_choice(
    as_admin: Client, client_a1: Patient, clinic_b: object
) -> None:
    from tests.conftest import make_staff

    outsider = make_staff(clinic_b, "out@southside.test", "therapist", "Out Sider")  # type: ignore[arg-type]
    response = as_admin.post(f"/console/clients/{client_a1.pk}/assign/", {"therapist": outsider.pk})
    assert "valid choice" in response.content.decode()


def test_the_database_refuses_a_second_current_therapist(
    client_a1: Patient, therapist_a2: User
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseAssignment.objects.create(patient=client_a1, therapist=therapist_a2)


def test_a_lost_race_gets_a_plain_message_not_an_error_page(
    admin_a: User, client_a1: Patient, therapist_a2: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if another admin's assignment landed between our read and our insert.
    monkeypatch.setattr(caseloads, "current_assignment", lambda patient: None)
    with pytest.raises(services.AssignmentConflict, match="at the same moment"):
        services.case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a2)
    assert len(current_therapists(client_a1)) == 1


def race(admin: User, patient: Patient, therapists: list[User]) -> list[BaseException]:
    """Each therapist assigned to `patient` from its own thread and connection at once."""
    barrier = threading.Barrier(len(therapists))
    failures: list[BaseException] = []

    def assign(therapist: User) -> None:
        try:
            barrier.wait(timeout=10)
            services.case_assign(actor=admin, patient=patient, therapist=therapist)
        except services.AssignmentConflict:
            pass  # a plain refusal is an acceptable outcome of a race
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(t,)) for t in therapists]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return failures


@pytest.mark.django_db(transaction=True)
def test_two_admins_assigning_one_client_at_once_leave_exactly_one_current_therapist(
    admin_a: User, therapist_a1: User, therapist_a2: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL: run with DATABASE_URL=postgres://…")
    for round_ in range(10):
        patient = make_client(admin_a.clinic, f"RACE-{round_}")
        assert race(admin_a, patient, [therapist_a1, therapist_a2]) == []
        assert CaseAssignment.objects.filter(patient=patient, ended_at__isnull=True).count() == 1
        # The one who came second ended the first one's stretch; both are in the history.
        assert CaseAssignment.objects.filter(patient=patient).count() in {1, 2}
