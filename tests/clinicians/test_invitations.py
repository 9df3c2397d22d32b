"""The invitation link: choose a password, get signed in; expiry and misuse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinicians import services
from clinicians.models import AuditEvent, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase"


def invite(admin: User, email: str = "nora@northside.test") -> str:
    services.therapist_invite(actor=admin, email=email, display_name="Dr. Nora New")
    match = re.search(r"http://[^/]+(/accounts/invitation/\S+/)", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_the_link_moves_the_token_out_of_the_url_then_sets_the_password_and_signs_in(
    admin_a: User,
) -> None:
    path = invite(admin_a)
    c = Client()
    response = c.get(path)
    assert response.status_code == 302
    assert response.url.endswith("/set-password/")
    assert response["Referrer-Policy"] == "no-referrer"
    form_page = c.get(response.url)
    assert form_page.status_code == 200
    assert "Welcome to Alliance" in form_page.content.decode()
    assert form_page["X-Robots-Tag"] == "noindex"
    done = c.post(response.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    # Straight on to setting up the second factor; nothing else opens before that.
    assert done.url == "/accounts/two-factor/setup/"
    assert c.get(done.url).status_code == 200
    assert c.get("/caseload/").url.startswith("/accounts/two-factor/setup/")
    user = User.objects.get(email="nora@northside.test")
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="invitation_accepted", actor=user).exists()
    # The same link cannot be used twice.
    again = Client().get(path, follow=True)
    assert "no longer works" in again.content.decode()


def test_a_weak_password_is_refused_in_plain_words(admin_a: User) -> None:
    c = Client()
    url = c.get(invite(admin_a)).url
    response = c.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "too short" in response.content.decode() or "too common" in response.content.decode()
    assert not User.objects.filter(email="nora@northside.test").exists()


def test_the_link_works_for_seven_days_and_not_longer(admin_a: User) -> None:
    path = invite(admin_a)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert Client().get(path).status_code == 302  # still valid: on to the form
    with time_machine.travel(timezone.now() + timedelta(days=7, hours=1)):
        page = Client().get(path)
        assert page.status_code == 200
        assert "no longer works" in page.content.decode()


def test_the_life_of_a_link_is_configurable(admin_a: User, settings: object) -> None:
    settings.ALLIANCE_INVITATION_DAYS = 2  # type: ignore[attr-defined]
    path = invite(admin_a)
    assert "2 days" in mail.outbox[-1].body
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert "no longer works" in Client().get(path).content.decode()


def test_an_invitation_link_is_not_a_password_reset_link(admin_a: User) -> None:
    path = invite(admin_a)
    token = path.rstrip("/").rsplit("/", 1)[1]
    page = Client().get(f"/accounts/reset/MQ/{token}/", follow=True)
    assert "This link no longer works" in page.content.decode()


def test_an_address_that_got_an_account_meanwhile_is_told_what_to_do(
    admin_a: User, therapist_a1: User
) -> None:
    path = invite(admin_a, email="later@northside.test")
    # The address gets an account some other way before the link is used.
    User.objects.filter(pk=therapist_a1.pk).update(email="later@northside.test")
    c = Client()
    page = c.get(c.get(path).url).content.decode()
    assert "already has an Alliance account" in page
    assert "new_password1" not in page


def test_a_resent_invitation_retires_the_first_link(admin_a: User) -> None:
    first = invite(admin_a)
    second = invite(admin_a)
    assert "no longer works" in Client().get(first).content.decode()
    assert Client().get(second).status_code == 302


def test_the_email_carries_no_client_data(admin_a: User, client_a1: object) -> None:
    invite(admin_a)
    message = mail.outbox[-1]
    assert "A-001" not in message.body and "Alice" not in message.body


def test_the_password_form_page_keeps_a_referrer_policy_that_lets_its_post_through(
    admin_a: User,
) -> None:
    # With "no-referrer", Chromium sends "Origin: null" and the CSRF check refuses the
    # form (found by the browser test); the token is no longer in this URL anyway.
    c = Client()
    url = c.get(invite(admin_a)).url
    assert c.get(url)["Referrer-Policy"] == "same-origin"
