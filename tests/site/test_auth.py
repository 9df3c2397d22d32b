"""Sign in, sign out, lockout, session limits, role routing and password reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicians.models import AuditEvent, User
from tests.conftest import PASSWORD, client_for, totp_code

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, password: str = PASSWORD):
    """Both steps, as a user would: the password, then the app's code (set up first if
    need be). Returns the password step's response."""
    response = client.post("/accounts/login/", {"username": email, "password": password})
    if response.status_code == 302:
        complete_second_factor(client, User.objects.get(email__iexact=email))
    return response


def complete_second_factor(client: Client, user: User) -> None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        assert client.get("/accounts/two-factor/setup/").status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        done = client.post("/accounts/two-factor/setup/", {"code": totp_code(device)})
        assert done.url == "/accounts/two-factor/recovery-codes/"
        client.post("/accounts/two-factor/recovery-codes/")
    else:
        done = client.post("/accounts/two-factor/", {"code": totp_code(device)})
        assert done.status_code == 302, done.content.decode()


def test_a_therapist_signs_in_with_email_and_lands_on_their_caseload(
    therapist_a1: User,
) -> None:
    c = Client()
    response = sign_in(c, "TESS@northside.test")  # case does not matter
    assert response.status_code == 302
    assert c.get("/").url == "/caseload/"
    assert AuditEvent.objects.filter(action="login", actor=therapist_a1).count() == 1


def test_an_admin_lands_on_the_console(admin_a: User) -> None:
    c = Client()
    sign_in(c, admin_a.email)
    assert c.get("/").url == "/console/"


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    assert Client().get("/").url == "/accounts/login/"
    response = Client().get("/console/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/console/")


def test_a_wrong_password_is_refused_in_plain_words(therapist_a1: User) -> None:
    c = Client()
    response = sign_in(c, therapist_a1.email, "not-the-password")
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert "_auth_user_id" not in c.session
    assert AuditEvent.objects.filter(action="login_failed").count() == 1


def test_a_deactivated_account_cannot_sign_in(therapist_a1: User) -> None:
    therapist_a1.is_active = False
    therapist_a1.save()
    c = Client()
    sign_in(c, therapist_a1.email)
    assert "_auth_user_id" not in c.session


def test_signing_in_rotates_the_session_key(therapist_a1: User) -> None:
    c = Client()
    c.get("/accounts/login/")
    c.session["probe"] = 1  # make sure an anonymous session exists
    session = c.session
    session["probe"] = 1
    session.save()
    before = c.cookies["sessionid"].value
    sign_in(c, therapist_a1.email)
    assert c.cookies["sessionid"].value != before


def test_sign_out_needs_a_post_and_ends_the_session(therapist_a1: User) -> None:
    c = Client()
    sign_in(c, therapist_a1.email)
    assert c.get("/accounts/logout/").status_code == 405
    response = c.post("/accounts/logout/")
    assert response.status_code == 302
    assert c.get("/caseload/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=therapist_a1).exists()


def test_five_failures_lock_the_account_and_the_lock_cools_off(therapist_a1: User) -> None:
    c = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(c, therapist_a1.email, "wrong-password")
        locked = sign_in(c, therapist_a1.email)  # even the right password is refused
        assert locked.status_code == 429
        assert "Too many attempts" in locked.content.decode()
        assert "_auth_user_id" not in c.session
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sign_in(c, therapist_a1.email).status_code == 302
        assert "_auth_user_id" in c.session


def test_a_lockout_of_one_account_leaves_others_alone(
    therapist_a1: User, therapist_a2: User
) -> None:
    c = Client()
    for _ in range(6):
        sign_in(c, therapist_a1.email, "wrong-password")
    assert sign_in(c, therapist_a2.email).status_code == 302


def test_thirty_minutes_idle_ends_the_session(therapist_a1: User) -> None:
    c = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(c, therapist_a1.email)
        assert c.get("/caseload/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert c.get("/caseload/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = c.get("/caseload/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
        assert "_auth_user_id" not in c.session


def test_twelve_hours_end_the_session_even_when_active(therapist_a1: User) -> None:
    c = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(c, therapist_a1.email)
    # Active every 20 minutes: never idle, yet the 12-hour ceiling still applies.
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert c.get("/caseload/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert c.get("/caseload/").status_code == 302


def test_passwords_are_hashed_with_argon2(therapist_a1: User) -> None:
    therapist_a1.refresh_from_db()
    assert therapist_a1.password.startswith("argon2")


def test_password_reset_sends_a_working_link(therapist_a1: User) -> None:
    c = Client()
    response = c.post("/accounts/password-reset/", {"email": therapist_a1.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [therapist_a1.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body)
    assert link
    page = c.get(link.group(1), follow=True)
    assert "Choose a new password" in page.content.decode()
    new = "a-brand-new-passphrase"
    c.post(page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert sign_in(Client(), therapist_a1.email, new).status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same() -> None:
    response = Client().post("/accounts/password-reset/", {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert response.url == "/accounts/password-reset/sent/"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("therapist", "/console/", 403),
        ("admin", "/caseload/", 403),
        ("admin", "/console/", 200),
        ("therapist", "/caseload/", 200),
    ],
)
def test_each_role_reaches_only_its_own_home(
    cast: dict[str, User], who: str, path: str, status: int
) -> None:
    response = client_for(cast[who]).get(path)
    assert response.status_code == status
    if status == 403:
        assert "not for your account" in response.content.decode()
        assert AuditEvent.objects.filter(action="access_refused", actor=cast[who]).exists()


def test_only_superusers_reach_django_admin(admin_a: User) -> None:
    admin_a.is_staff = True  # even with the flag, a clinic admin is not an operator
    admin_a.save()
    assert client_for(admin_a).get("/django-admin/").status_code == 302
    root = User.objects.create_superuser(email="ops@example.test", password=PASSWORD)
    assert client_for(root).get("/django-admin/").status_code == 200


def test_an_invitee_who_never_accepted_gets_no_reset_link_but_a_pointer_to_the_invitation(
    admin_a: User,
) -> None:
    from clinicians import services

    services.therapist_invite(actor=admin_a, email="nora@northside.test", display_name="Nora")
    mail.outbox.clear()
    response = Client().post("/accounts/password-reset/", {"email": "nora@northside.test"})
    # The requester sees exactly what any address gets.
    assert response.status_code == 302
    assert response.url == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "/accounts/reset/" not in body
    assert "invitation" in body and "Northside Therapy" in body
    assert not User.objects.filter(email="nora@northside.test").exists()


def test_a_reset_link_made_for_an_account_without_a_password_does_not_open(
    therapist_a1: User,
) -> None:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    # An invitee's account from before invitations were kept per clinic.
    therapist_a1.set_unusable_password()
    therapist_a1.save()
    uid = urlsafe_base64_encode(force_bytes(therapist_a1.pk))
    token = default_token_generator.make_token(therapist_a1)
    page = Client().get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert "This link no longer works" in page.content.decode()
    assert "new_password1" not in page.content.decode()
    assert not User.objects.get(pk=therapist_a1.pk).has_usable_password()
