"""The access helpers: who sees which clients, therapists and imports."""

from __future__ import annotations

import pytest
from django.http import Http404

from clinicians.access import (
    get_client_for,
    get_import_for,
    get_therapist_for,
    patients_visible_to,
    therapists_of,
)
from clinicians.models import AuditEvent, ImportBatch, Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_admin_sees_every_client_of_their_clinic_and_no_other(
    admin_a: User, clients: dict[str, Patient]
) -> None:
    assert set(patients_visible_to(admin_a)) == {clients["own"], clients["colleagues"]}


def test_a_therapist_sees_only_their_current_caseload(
    therapist_a1: User, clients: dict[str, Patient]
) -> None:
    assert list(patients_visible_to(therapist_a1)) == [clients["own"]]


def test_a_deactivated_user_sees_nothing(therapist_a1: User, clients: dict[str, Patient]) -> None:
    therapist_a1.is_active = False
    assert not patients_visible_to(therapist_a1).exists()


@pytest.mark.parametrize("pk", ["abc", "", None, -1, 10**12])
def test_a_client_pk_that_is_not_a_client_gives_404(admin_a: User, pk: object) -> None:
    with pytest.raises(Http404):
        get_client_for(admin_a, pk)  # type: ignore[arg-type]


def test_another_clinics_client_gives_404_to_an_admin(
    admin_a: User, clients: dict[str, Patient]
) -> None:
    with pytest.raises(Http404):
        get_client_for(admin_a, clients["other_clinic"].pk)


def test_another_clinics_therapist_gives_404(admin_b: User, therapist_a1: User) -> None:
    with pytest.raises(Http404):
        get_therapist_for(admin_b, therapist_a1.pk)
    assert therapist_a1 not in therapists_of(admin_b)


def test_an_admin_is_not_a_therapist_for_the_therapist_helpers(
    admin_a: User, therapist_a1: User
) -> None:
    with pytest.raises(Http404):
        get_therapist_for(admin_a, admin_a.pk)
    assert get_therapist_for(admin_a, therapist_a1.pk) == therapist_a1


def test_another_clinics_import_gives_404(admin_a: User, admin_b: User) -> None:
    batch = ImportBatch.objects.create(clinic=admin_b.clinic, created_by=admin_b)
    with pytest.raises(Http404):
        get_import_for(admin_a, batch.pk)
    assert get_import_for(admin_b, batch.pk) == batch


def test_a_therapist_is_refused_a_console_page_and_the_refusal_is_audited(
    therapist_a1: User,
) -> None:
    response = client_for(therapist_a1).get("/console/clients/")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="access_refused")
    assert event.actor == therapist_a1
    assert event.detail == {"path": "/console/clients/"}


def test_the_other_clinics_admin_gets_the_same_404_as_for_a_missing_client(
    admin_b: User, clients: dict[str, Patient]
) -> None:
    c = client_for(admin_b)
    theirs = c.get(f"/console/clients/{clients['own'].pk}/")
    missing = c.get("/console/clients/987654321/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
