"""Finding 8: inviting answers the same whatever exists elsewhere, and no clinic can
hold an address against another by inviting it first."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from clinicians.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase"


def invite(c: Client, email: str, name: str = "Dr. Nora New"):  # type: ignore[no-untyped-def]
    return c.post("/console/therapists/invite/", {"email": email, "display_name": name})


def what_the_admin_sees(c: Client, email: str) -> tuple[int, str, str]:
    """The answer to inviting `email`, and the therapists page after, minus the address."""
    response = invite(c, email)
    follow = c.get("/console/therapists/").content.decode()
    message = re.sub(re.escape(email), "ADDRESS", follow)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", message)
    return response.status_code, response.get("Location", ""), page


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"http://[^/]+(/accounts/invitation/\S+/)", message.body)
    assert match
    return match.group(1)


def test_inviting_an_address_with_an_account_elsewhere_looks_like_inviting_a_new_one(
    admin_a: User, admin_b: User, therapist_a1: User
) -> None:
    # Clinic B invites an address that has an account in clinic A, and one that exists
    # nowhere: what clinic B's admin sees is the same, and one email goes to each.
    as_b = client_for(admin_b)
    taken = what_the_admin_sees(as_b, therapist_a1.email)
    mail_for_taken = len(mail.outbox)
    free = what_the_admin_sees(as_b, "free@example.test")
    assert taken[0] == free[0] == 302
    assert taken[1] == free[1]
    # The therapists page lists both as invited, the same way.
    assert taken[2].count("Invited, no password yet") == 1
    assert free[2].count("Invited, no password yet") == 2
    assert mail_for_taken == 1 and len(mail.outbox) == 2
    assert User.objects.get(pk=therapist_a1.pk).clinic == therapist_a1.clinic


def test_an_open_invitation_in_one_clinic_does_not_stop_another_clinic(
    admin_a: User, admin_b: User
) -> None:
    assert invite(client_for(admin_a), "nora@example.test").status_code == 302
    response = invite(client_for(admin_b), "nora@example.test")
    assert response.status_code == 302
    assert (
        "could not invite" not in client_for(admin_b).get("/console/therapists/").content.decode()
    )
    # Nora accepts clinic B's invitation: her account is in clinic B.
    c = Client()
    form = c.get(link_in(mail.outbox[-1]))
    c.post(form.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    nora = User.objects.get(email="nora@example.test")
    assert nora.clinic == admin_b.clinic
    assert nora.check_password(NEW_PASSWORD)
    # Clinic A's link now explains, to Nora only, what she can do; clinic A is told
    # nothing and its page still shows the invitation as it was.
    other = Client()
    page = other.get(other.get(link_in(mail.outbox[0])).url).content.decode()
    assert "already has an Alliance account" in page
    assert "Southside" not in page
    assert (
        "Invited, no password yet"
        in client_for(admin_a).get("/console/therapists/").content.decode()
    )
    assert User.objects.get(pk=nora.pk).clinic == admin_b.clinic
