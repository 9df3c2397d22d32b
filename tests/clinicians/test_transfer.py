"""Transferring a therapist's whole caseload: preview first, then all at once."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians import services
from clinicians.access import patients_visible_to
from clinicians.models import AuditEvent, CaseAssignment, Patient, Role, User
from tests.clinicians.conftest import many_clients
from tests.conftest import make_client, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist_a3(clinic_a: object) -> User:
    return make_staff(clinic_a, "tia@northside.test", Role.THERAPIST, "Tia Third")  # type: ignore[arg-type]


def caseload(therapist: User) -> set[str]:
    return set(
        Patient.objects.filter(
            assignments__therapist=therapist, assignments__ended_at__isnull=True
        ).values_list("code", flat=True)
    )


def post_plan(c: Client, source: User, targets: list[User], page) -> object:  # type: ignore[no-untyped-def]
    """Confirm the plan exactly as the preview proposed it."""
    form = page.context["plan_form"]
    data: dict[str, object] = {"to": [t.pk for t in targets]}
    for _client, field in form.rows():
        data[field.html_name] = field.value()
    return c.post(f"/console/therapists/{source.pk}/transfer/", data)


def test_the_preview_spreads_clients_evenly_and_changes_nothing(
    as_admin: Client, therapist_a1: User, therapist_a2: User, therapist_a3: User
) -> None:
    many_clients(therapist_a1.clinic, 6, therapist_a1)
    make_client(therapist_a2.clinic, "A-T2", therapist_a2)  # Theo already has one
    url = f"/console/therapists/{therapist_a1.pk}/transfer/"
    page = as_admin.get(url, {"to": [therapist_a2.pk, therapist_a3.pk]})
    assert page.status_code == 200
    plan = page.context["plan_form"]
    chosen = [field.value() for _, field in plan.rows()]
    # Tia (0) gets 4, Theo (1) gets 3... of 6 clients: 3 each after evening out.
    assert sorted(chosen.count(str(t.pk)) for t in (therapist_a2, therapist_a3)) == [3, 3]
    assert "Move 6 clients now" in page.content.decode()
    assert len(caseload(therapist_a1)) == 6
    assert not AuditEvent.objects.filter(action__contains="transfer").exists()


def test_confirming_moves_every_client_keeps_history_and_audits(
    as_admin: Client, therapist_a1: User, therapist_a2: User, therapist_a3: User
) -> None:
    moved = many_clients(therapist_a1.clinic, 5, therapist_a1)
    targets = [therapist_a2, therapist_a3]
    page = as_admin.get(
        f"/console/therapists/{therapist_a1.pk}/transfer/", {"to": [t.pk for t in targets]}
    )
    response = post_plan(as_admin, therapist_a1, targets, page)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert caseload(therapist_a1) == set()
    assert caseload(therapist_a2) | caseload(therapist_a3) == {p.code for p in moved}
    for patient in moved:
        assert CaseAssignment.objects.filter(patient=patient).count() == 2
    assert not patients_visible_to(therapist_a1).exists()
    assert AuditEvent.objects.filter(action="client_transferred").count() == 5
    summary = AuditEvent.objects.get(action="caseload_transferred")
    assert summary.detail["moved"] == 5
    # Now the departing therapist can be deactivated.
    assert as_admin.post(f"/console/therapists/{therapist_a1.pk}/deactivate/").status_code == 302


def test_the_admin_can_change_a_row_of_the_preview(
    as_admin: Client, therapist_a1: User, therapist_a2: User, therapist_a3: User
) -> None:
    a, b = many_clients(therapist_a1.clinic, 2, therapist_a1)
    as_admin.post(
        f"/console/therapists/{therapist_a1.pk}/transfer/",
        {
            "to": [therapist_a2.pk, therapist_a3.pk],
            f"client_{a.pk}": therapist_a3.pk,
            f"client_{b.pk}": therapist_a3.pk,
        },
    )
    assert caseload(therapist_a3) == {a.code, b.code}


def test_a_caseload_changed_since_the_preview_moves_nothing(
    as_admin: Client, admin_a: User, therapist_a1: User, therapist_a2: User
) -> None:
    many_clients(therapist_a1.clinic, 3, therapist_a1)
    page = as_admin.get(f"/console/therapists/{therapist_a1.pk}/transfer/", {"to": therapist_a2.pk})
    late = make_client(admin_a.clinic, "LATE", therapist_a1)  # assigned after the preview
    response = post_plan(as_admin, therapist_a1, [therapist_a2], page)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "changed since the preview" in response.content.decode()  # type: ignore[attr-defined]
    assert len(caseload(therapist_a1)) == 4 and late.code in caseload(therapist_a1)
    assert caseload(therapist_a2) == set()


def test_the_service_refuses_a_stale_plan(
    admin_a: User, therapist_a1: User, therapist_a2: User
) -> None:
    a, _b = many_clients(therapist_a1.clinic, 2, therapist_a1)
    with pytest.raises(services.TransferStale):
        services.caseload_transfer(actor=admin_a, source=therapist_a1, plan={a.pk: therapist_a2.pk})
    assert caseload(therapist_a2) == set()


def test_a_target_deactivated_since_the_preview_moves_nothing(
    admin_a: User, therapist_a1: User, therapist_a2: User
) -> None:
    (a,) = many_clients(therapist_a1.clinic, 1, therapist_a1)
    User.objects.filter(pk=therapist_a2.pk).update(is_active=False)
    with pytest.raises(services.ServiceError, match="deactivated"):
        services.caseload_transfer(actor=admin_a, source=therapist_a1, plan={a.pk: therapist_a2.pk})
    assert caseload(therapist_a1) == {a.code}


def test_a_target_of_another_clinic_is_refused(
    as_admin: Client,
    admin_a: User,
    admin_b: User,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
) -> None:
    outsider = make_staff(admin_b.clinic, "o@southside.test", Role.THERAPIST, "O")
    with pytest.raises(services.ServiceError):
        services.caseload_transfer(
            actor=admin_a, source=therapist_a1, plan={client_a1.pk: outsider.pk}
        )
    response = as_admin.post(
        f"/console/therapists/{therapist_a1.pk}/transfer/",
        {"to": [outsider.pk], f"client_{client_a1.pk}": outsider.pk},
    )
    assert response.status_code == 200
    assert "valid choice" in response.content.decode()
    assert caseload(therapist_a1) == {"A-001"}


def test_transferring_to_oneself_is_refused(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    with pytest.raises(services.ServiceError):
        services.caseload_transfer(
            actor=admin_a, source=therapist_a1, plan={client_a1.pk: therapist_a1.pk}
        )


def test_a_therapist_without_clients_has_nothing_to_transfer(
    as_admin: Client, therapist_a2: User
) -> None:
    page = as_admin.get(f"/console/therapists/{therapist_a2.pk}/transfer/").content.decode()
    assert "nothing to transfer" in page


def test_choosing_no_therapist_gets_a_message(
    as_admin: Client, therapist_a1: User, client_a1: Patient, therapist_a2: User
) -> None:
    page = as_admin.get(f"/console/therapists/{therapist_a1.pk}/transfer/?step=preview")
    assert "Choose at least one therapist" in page.content.decode()
    page = as_admin.get(f"/console/therapists/{therapist_a1.pk}/transfer/?to=abc").content.decode()
    assert "is not a valid value" in page


def test_without_another_active_therapist_the_page_says_to_invite_one(
    as_admin: Client, therapist_a1: User, client_a1: Patient
) -> None:
    page = as_admin.get(f"/console/therapists/{therapist_a1.pk}/transfer/").content.decode()
    assert "no other active therapist" in page
