"""Discharging and reactivating clients. Nothing is deleted; history stays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinicians import services
from clinicians.models import AuditEvent, CaseAssignment, Patient, PatientStatus, User

pytestmark = pytest.mark.django_db


def test_discharging_sets_the_date_and_ends_the_current_therapist(
    as_admin: Client, client_a1: Patient
) -> None:
    today = timezone.localdate()
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/discharge/", {"discharged_on": today.isoformat()}
    )
    assert response.status_code == 302
    client_a1.refresh_from_db()
    assert client_a1.status == PatientStatus.DISCHARGED and client_a1.discharged_on == today
    history = CaseAssignment.objects.filter(patient=client_a1)
    assert history.count() == 1 and history.get().ended_at is not None
    assert AuditEvent.objects.filter(action="client_discharged", patient=client_a1).exists()


def test_a_discharged_client_leaves_the_therapists_caseload(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    from clinicians.access import patients_visible_to

    services.patient_discharge(actor=admin_a, patient=client_a1)
    assert not patients_visible_to(therapist_a1).exists()


@pytest.mark.parametrize("days", [1, -400])
def test_a_discharge_date_in_the_future_or_before_activation_is_refused(
    as_admin: Client, client_a1: Patient, days: int
) -> None:
    when = timezone.localdate() + timedelta(days=days)
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/discharge/", {"discharged_on": when.isoformat()}
    )
    assert response.status_code == 200
    assert "cannot be" in response.content.decode()
    client_a1.refresh_from_db()
    assert client_a1.is_active


def test_a_date_that_is_not_a_date_gets_a_message(as_admin: Client, client_a1: Patient) -> None:
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/discharge/", {"discharged_on": "soon"}
    )
    assert "Enter a valid date" in response.content.decode()


def test_discharging_twice_is_refused(admin_a: User, client_a1: Patient) -> None:
    services.patient_discharge(actor=admin_a, patient=client_a1)
    with pytest.raises(services.ServiceError, match="already discharged"):
        services.patient_discharge(actor=admin_a, patient=client_a1)


def test_reactivating_with_a_therapist_starts_a_new_stretch(
    as_admin: Client, admin_a: User, client_a1: Patient, therapist_a1: User, therapist_a2: User
) -> None:
    services.patient_discharge(actor=admin_a, patient=client_a1, on=date.today())
    response = as_admin.post(
        f"/console/clients/{client_a1.pk}/reactivate/", {"therapist": therapist_a2.pk}
    )
    assert response.status_code == 302
    client_a1.refresh_from_db()
    assert client_a1.is_active and client_a1.discharged_on is None
    history = list(CaseAssignment.objects.filter(patient=client_a1).order_by("started_at", "pk"))
    assert [a.therapist for a in history] == [therapist_a1, therapist_a2]
    assert history[0].ended_at is not None and history[1].ended_at is None


def test_reactivating_without_a_therapist_leaves_the_client_unassigned(
    as_admin: Client, admin_a: User, client_a1: Patient
) -> None:
    services.patient_discharge(actor=admin_a, patient=client_a1)
    as_admin.post(f"/console/clients/{client_a1.pk}/reactivate/", {"therapist": ""})
    client_a1.refresh_from_db()
    assert client_a1.is_active
    assert not CaseAssignment.objects.filter(patient=client_a1, ended_at__isnull=True).exists()


def test_the_reactivate_page_of_an_active_client_sends_back_to_the_client(
    as_admin: Client, client_a1: Patient
) -> None:
    response = as_admin.get(f"/console/clients/{client_a1.pk}/reactivate/")
    assert response.url == f"/console/clients/{client_a1.pk}/"
