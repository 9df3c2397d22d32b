"""Discharging a client withdraws every open questionnaire, link and kiosk code of theirs.

The attacker's review found a discharged client who could still submit through a link
opened before the discharge, and who still received a reminder.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from assessments.models import Administration, AdministrationStatus, Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink, administration_request
from assessments.questionnaires.reminders import administration_email, reminders_send
from assessments.views.client import KIOSK_COOKIE
from clinicians import services
from clinicians.models import AuditEvent, Patient, User

from .fixtures import SESSION_3, all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db


def test_a_link_opened_before_the_discharge_cannot_submit_after_it(
    admin_a: User, issued: IssuedLink, client_a1: Patient
) -> None:
    browser = open_questionnaire(issued.token)
    services.patient_discharge(actor=admin_a, patient=client_a1)
    post_answers(browser, all_answers())
    assert not Response.objects.exists()
    assert Client().get(f"/q/{issued.token}").status_code == 404


def test_discharge_withdraws_open_questionnaires_and_their_links_and_codes(
    admin_a: User, issued: IssuedLink, client_a1: Patient
) -> None:
    services.patient_discharge(actor=admin_a, patient=client_a1)
    administration = Administration.objects.get(pk=issued.administration.pk)
    assert administration.status == AdministrationStatus.REVOKED
    assert administration.revoked_by == admin_a
    assert administration.short_code is None
    assert not administration.links.filter(revoked_at__isnull=True).exists()
    line = AuditEvent.objects.get(action="questionnaire_revoked", patient=client_a1)
    assert line.detail == {"reason": "discharge"}


def test_a_kiosk_code_stops_working_at_discharge(
    admin_a: User, issued: IssuedLink, client_a1: Patient
) -> None:
    _device, token = kiosk_enrol(actor=admin_a, name="Waiting room")
    services.patient_discharge(actor=admin_a, patient=client_a1)
    tablet = Client()
    tablet.cookies[KIOSK_COOKIE] = token
    response = tablet.post("/kiosk", {"code": issued.short_code})
    assert response.status_code == 400  # the code page again, with a message
    assert "kiosk_administration" not in tablet.session


def test_a_discharged_client_gets_no_reminder(
    admin_a: User, therapist_a1: User, issued: IssuedLink, client_a1: Patient
) -> None:
    administration_email(actor=therapist_a1, administration=issued.administration)
    services.patient_discharge(actor=admin_a, patient=client_a1)
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert reminders_send().sent == 0
    assert mail.outbox == []


def test_completed_questionnaires_stay_as_they_were(
    admin_a: User, therapist_a1: User, client_a1: Patient, issued: IssuedLink
) -> None:
    browser = open_questionnaire(issued.token)
    assert post_answers(browser, all_answers()).status_code == 302
    services.patient_discharge(actor=admin_a, patient=client_a1)
    done = Administration.objects.get(pk=issued.administration.pk)
    assert done.status == AdministrationStatus.COMPLETED
    assert Response.objects.filter(administration=done).count() == 1


def test_other_clients_questionnaires_stay_open(
    admin_a: User, therapist_a2: User, client_a1: Patient, client_a2: Patient
) -> None:
    other = administration_request(
        actor=therapist_a2, patient=client_a2, form_code="wai-sr-client", occasion=SESSION_3
    )
    services.patient_discharge(actor=admin_a, patient=client_a1)
    other.administration.refresh_from_db()
    assert other.administration.status == AdministrationStatus.OPEN
    assert other.administration.short_code == other.short_code


def test_a_discharged_client_leaves_the_waiting_and_overdue_lists(
    admin_a: User, therapist_a1: User, issued: IssuedLink, client_a1: Patient
) -> None:
    from assessments.alliance.overview import clinic_overview
    from tests.dashboards.old_caseload import caseload_overview, waiting_in

    later = timezone.now() + timedelta(days=40)  # overdue by any clinic's setting
    with time_machine.travel(later):
        today = timezone.localdate()
        before = clinic_overview(admin_a, start=today - timedelta(days=60), end=today)
        assert [r.pk for r in before.overdue] == [client_a1.pk]
    assert [p.pk for p, _ in waiting_in(caseload_overview(therapist_a1))] == [client_a1.pk]

    services.patient_discharge(actor=admin_a, patient=client_a1)
    assert waiting_in(caseload_overview(therapist_a1)) == []
    with time_machine.travel(later):
        today = timezone.localdate()
        after = clinic_overview(admin_a, start=today - timedelta(days=60), end=today)
        assert after.overdue == [] and after.overdue_count == 0
