"""Invitation emails and the single reminder, with frozen time."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from assessments.models import Administration, Response
from assessments.questionnaires.links import (
    IssuedLink,
    administration_request,
    administration_revoke,
)
from assessments.questionnaires.reminders import administration_email, reminders_send
from clinicians.models import Clinic, Patient, User
from tests.conftest import client_for

from .fixtures import SESSION_3, all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def emailed(issued: IssuedLink, therapist_a1: User) -> IssuedLink:
    administration_email(actor=therapist_a1, administration=issued.administration)
    return issued


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"http://\S+/q/(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_invitation_email_carries_a_working_link_and_nothing_about_the_client(
    emailed: IssuedLink,
) -> None:
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    assert "Northside Therapy" in message.subject
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "Alice" not in text
        assert "A-001" not in text
    token = link_in(message)
    assert token != emailed.token  # a link of its own; the first one keeps working
    assert open_questionnaire(token).get("/q/").status_code == 200
    assert open_questionnaire(emailed.token).get("/q/").status_code == 200


def test_one_reminder_goes_after_the_delay_and_never_twice(emailed: IssuedLink) -> None:
    start = timezone.now()
    mail.outbox.clear()
    assert reminders_send(now=start + timedelta(days=1, hours=23)).sent == 0
    assert reminders_send(now=start + timedelta(days=2, minutes=1)).sent == 1
    assert len(mail.outbox) == 1
    assert "Reminder" in mail.outbox[0].subject
    assert "Alice" not in mail.outbox[0].body
    assert reminders_send(now=start + timedelta(days=3)).sent == 0
    assert len(mail.outbox) == 1
    # The reminder's link works.
    assert open_questionnaire(link_in(mail.outbox[0])).get("/q/").status_code == 200


def test_the_reminder_delay_is_a_clinic_setting(emailed: IssuedLink) -> None:
    clinic = emailed.administration.patient.clinic
    clinic.reminder_delay_days = 4
    clinic.save()
    start = timezone.now()
    assert reminders_send(now=start + timedelta(days=3)).sent == 0
    assert reminders_send(now=start + timedelta(days=4, minutes=1)).sent == 1


def test_no_reminder_after_completion(emailed: IssuedLink) -> None:
    post_answers(open_questionnaire(emailed.token), all_answers())
    assert Response.objects.count() == 1
    assert reminders_send(now=timezone.now() + timedelta(days=3)).sent == 0


def test_no_reminder_after_withdrawal(emailed: IssuedLink, therapist_a1: User) -> None:
    administration_revoke(actor=therapist_a1, administration=emailed.administration)
    assert reminders_send(now=timezone.now() + timedelta(days=3)).sent == 0


def test_no_reminder_after_expiry(emailed: IssuedLink) -> None:
    assert reminders_send(now=timezone.now() + timedelta(days=8)).sent == 0


def test_the_command_reports_what_it_sent(emailed: IssuedLink) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=1)):
        out = StringIO()
        call_command("send_reminders", stdout=out)
    assert "Reminders sent: 1, failed: 0" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_one_email(
    therapist_a1: User, client_a1: Patient, clinic_a: Clinic
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("true parallel runs need PostgreSQL (CI runs it there)")
    issued = administration_request(
        actor=therapist_a1, patient=client_a1, form_code="wai-sr-client", occasion=SESSION_3
    )
    administration_email(actor=therapist_a1, administration=issued.administration)
    mail.outbox.clear()
    later = timezone.now() + timedelta(days=3)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            counts.append(reminders_send(now=later).sent)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(counts) == [0, 0, 0, 1]
    assert len(mail.outbox) == 1
    assert Administration.objects.get().reminder_sent_at is not None


def test_the_email_button_refuses_a_client_without_an_address(
    issued: IssuedLink, therapist_a1: User
) -> None:
    patient = issued.administration.patient
    patient.email = ""
    patient.save()
    browser = client_for(therapist_a1)
    response = browser.post(f"/questionnaires/{issued.administration.pk}/email/", follow=True)
    assert "no email address" in response.content.decode()
    assert mail.outbox == []


def test_anonymous_cannot_trigger_an_email(issued: IssuedLink) -> None:
    response = Client().post(f"/questionnaires/{issued.administration.pk}/email/")
    assert response.status_code == 302
    assert mail.outbox == []
