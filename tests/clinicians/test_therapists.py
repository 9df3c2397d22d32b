"""Therapists page: list, invite, deactivate, reactivate."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from clinicians import services
from clinicians.models import AuditEvent, CaseAssignment, Patient, Role, StaffInvitation, User
from tests.conftest import PASSWORD, client_for, make_staff

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_therapist_with_status_and_active_clients(
    as_admin: Client, clients: dict[str, Patient], therapist_a1: User
) -> None:
    invited = User.objects.create_user(
        email="new@northside.test", clinic=therapist_a1.clinic, role=Role.THERAPIST
    )
    page = as_admin.get("/console/therapists/").content.decode()
    assert "Tess Therapist" in page and "Theo Therapist" in page
    assert invited.email in page and "Invited, no password yet" in page
    assert "Send the invitation again" in page
    assert "Bea Admin" not in page  # admins are not therapists; clinic B is not here


def test_inviting_records_an_invitation_for_the_clinic_and_emails_a_link(
    as_admin: Client, admin_a: User
) -> None:
    response = as_admin.post(
        "/console/therapists/invite/",
        {"email": " Nora@Northside.test ", "display_name": "Dr. Nora New"},
    )
    assert response.status_code == 302
    invitation = StaffInvitation.objects.get(email="nora@northside.test")
    assert invitation.clinic == admin_a.clinic and invitation.accepted_at is None
    # The account is made when the invitation is accepted.
    assert not User.objects.filter(email="nora@northside.test").exists()
    page = as_admin.get("/console/therapists/").content.decode()
    assert "nora@northside.test" in page and "Invited, no password yet" in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nora@northside.test"]
    assert "Northside Therapy" in message.subject
    assert "http://127.0.0.1:8000/accounts/invitation/" in message.body
    assert "7 days" in message.body
    assert message.alternatives and "/accounts/invitation/" in message.alternatives[0][0]
    event = AuditEvent.objects.get(action="therapist_invited")
    assert event.actor == admin_a and event.object_id == str(invitation.pk)


def test_the_invitation_link_uses_the_configured_base_url(
    as_admin: Client, settings: object
) -> None:
    settings.ALLIANCE_BASE_URL = "https://alliance.example.org/"  # type: ignore[attr-defined]
    as_admin.post("/console/therapists/invite/", {"email": "x@n.test", "display_name": "X"})
    assert "https://alliance.example.org/accounts/invitation/" in mail.outbox[0].body


def test_inviting_a_pending_address_again_resends_and_retires_the_old_link(
    admin_a: User,
) -> None:
    first = services.therapist_invite(actor=admin_a, email="n@n.test", display_name="N")
    old_hash = first.invitation.token_hash
    second = services.therapist_invite(actor=admin_a, email="N@n.test", display_name="")
    assert second.resent and second.invitation.pk == first.invitation.pk
    assert StaffInvitation.objects.get(pk=first.invitation.pk).token_hash != old_hash
    assert StaffInvitation.objects.get(pk=first.invitation.pk).display_name == "N"
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="invitation_resent").count() == 1


def test_an_address_of_another_clinic_is_invited_like_any_other_and_moves_nobody(
    as_admin: Client, admin_b: User
) -> None:
    response = as_admin.post(
        "/console/therapists/invite/", {"email": admin_b.email, "display_name": "Bea"}
    )
    assert response.status_code == 302
    page = as_admin.get("/console/therapists/").content.decode()
    assert "is invited" in page
    assert "Southside" not in page and "another clinic" not in page
    assert len(mail.outbox) == 1  # the email's link explains the rest to Bea alone
    assert User.objects.get(pk=admin_b.pk).clinic == admin_b.clinic


def test_an_existing_colleague_with_a_password_is_told_to_sign_in(
    as_admin: Client, therapist_a1: User
) -> None:
    response = as_admin.post(
        "/console/therapists/invite/", {"email": therapist_a1.email, "display_name": "T"}
    )
    assert "already has an account in your clinic" in response.content.decode()
    assert mail.outbox == []


def test_a_bad_email_address_gets_a_plain_message_and_nothing_is_saved(
    as_admin: Client,
) -> None:
    response = as_admin.post("/console/therapists/invite/", {"email": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not User.objects.filter(role=Role.THERAPIST).exists()


def test_a_failing_mail_server_saves_nothing(admin_a: User, settings: object) -> None:
    settings.EMAIL_BACKEND = "tests.clinicians.broken_mail.Backend"  # type: ignore[attr-defined]
    with pytest.raises(services.ServiceError, match="could not be sent"):
        services.therapist_invite(actor=admin_a, email="z@n.test", display_name="Z")
    assert not StaffInvitation.objects.filter(email="z@n.test").exists()


def test_a_therapist_with_clients_cannot_be_deactivated_and_the_page_links_the_transfer(
    as_admin: Client, therapist_a1: User, client_a1: Patient
) -> None:
    page = as_admin.get(f"/console/therapists/{therapist_a1.pk}/deactivate/").content.decode()
    assert "still has 1 active client" in page
    assert f"/console/therapists/{therapist_a1.pk}/transfer/" in page
    response = as_admin.post(f"/console/therapists/{therapist_a1.pk}/deactivate/")
    assert response.status_code == 409
    assert "Transfer them to other therapists first" in response.content.decode()
    therapist_a1.refresh_from_db()
    assert therapist_a1.is_active


def test_deactivating_stops_sign_in_and_ends_open_sessions_but_deletes_nothing(
    as_admin: Client, therapist_a1: User, client_a1: Patient, therapist_a2: User
) -> None:
    services.case_assign(
        actor=therapist_a1.clinic.staff.get(role=Role.ADMIN),
        patient=client_a1,
        therapist=therapist_a2,
    )
    session = client_for(therapist_a1)
    assert session.get("/caseload/").status_code == 200
    response = as_admin.post(f"/console/therapists/{therapist_a1.pk}/deactivate/")
    assert response.status_code == 302
    therapist_a1.refresh_from_db()
    assert not therapist_a1.is_active
    # The open session no longer counts as signed in.
    assert session.get("/caseload/").status_code == 302
    fresh = Client()
    fresh.post("/accounts/login/", {"username": therapist_a1.email, "password": PASSWORD})
    assert "_auth_user_id" not in fresh.session
    assert CaseAssignment.objects.filter(therapist=therapist_a1).count() == 1  # history kept
    assert AuditEvent.objects.filter(action="therapist_deactivated").count() == 1


def test_reactivating_lets_them_sign_in_again(as_admin: Client, therapist_a1: User) -> None:
    as_admin.post(f"/console/therapists/{therapist_a1.pk}/deactivate/")
    response = as_admin.post(f"/console/therapists/{therapist_a1.pk}/reactivate/", follow=True)
    assert "is active again" in response.content.decode()
    fresh = Client()
    fresh.post("/accounts/login/", {"username": therapist_a1.email, "password": PASSWORD})
    assert "_auth_user_id" in fresh.session


def test_reactivate_needs_a_post(as_admin: Client, therapist_a1: User) -> None:
    assert as_admin.get(f"/console/therapists/{therapist_a1.pk}/reactivate/").status_code == 405


def test_reactivating_an_active_therapist_says_so_and_changes_nothing(
    as_admin: Client, therapist_a1: User
) -> None:
    response = as_admin.post(f"/console/therapists/{therapist_a1.pk}/reactivate/", follow=True)
    assert "already active" in response.content.decode()
    assert not AuditEvent.objects.filter(action="therapist_reactivated").exists()


def test_an_admin_cannot_be_deactivated_through_the_therapist_pages(
    as_admin: Client, admin_a: User, clinic_a: object
) -> None:
    other_admin = make_staff(admin_a.clinic, "ops@northside.test", Role.ADMIN, "Ops")
    assert as_admin.post(f"/console/therapists/{other_admin.pk}/deactivate/").status_code == 404
