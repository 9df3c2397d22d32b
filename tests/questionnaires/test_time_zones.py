"""Dates follow the clinic's time zone, not the server's UTC clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments.models import Administration, OccasionKind
from assessments.questionnaires.links import IssuedLink, Occasion, administration_request
from assessments.questionnaires.reminders import administration_email, reminders_send
from clinicians.models import Clinic, Patient, User
from tests.conftest import client_for
from tests.dashboards.old_caseload import caseload_overview

pytestmark = pytest.mark.django_db

# 22:30 UTC on 10 March 2026 is 09:30 on 11 March in Sydney (AEDT, UTC+11) and 15:30
# on 10 March in Los Angeles (PDT, UTC-7).
MORNING_IN_SYDNEY = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)


def set_zone(clinic: Clinic, name: str) -> None:
    clinic.time_zone = name
    clinic.save()


def ask(therapist: User, patient: Patient, session_date: date):  # type: ignore[no-untyped-def]
    return client_for(therapist).post(
        reverse("assessments:request_new", args=[patient.pk]),
        {
            "form_code": "wai-sr-client",
            "occasion": OccasionKind.SESSION,
            "session_number": "1",
            "session_date": session_date.isoformat(),
        },
    )


def test_a_sydney_clinic_can_enter_todays_session_at_half_past_nine(
    clinic_a: Clinic, therapist_a1: User, client_a1: Patient
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    with time_machine.travel(MORNING_IN_SYDNEY, tick=False):
        response = ask(therapist_a1, client_a1, date(2026, 3, 11))
    assert response.status_code == 302, response.content.decode()[:2000]
    administration = Administration.objects.get(patient=client_a1)
    assert administration.session_date == date(2026, 3, 11)


def test_a_los_angeles_clinic_cannot_enter_tomorrow_although_utc_says_it_is_today(
    clinic_a: Clinic, therapist_a1: User, client_a1: Patient
) -> None:
    set_zone(clinic_a, "America/Los_Angeles")
    with time_machine.travel(MORNING_IN_SYDNEY, tick=False):
        response = ask(therapist_a1, client_a1, date(2026, 3, 11))
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Administration.objects.filter(patient=client_a1).exists()


def test_the_form_offers_the_clinics_today(
    clinic_a: Clinic, therapist_a1: User, client_a1: Patient
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    with time_machine.travel(MORNING_IN_SYDNEY, tick=False):
        page = client_for(therapist_a1).get(reverse("assessments:request_new", args=[client_a1.pk]))
    assert 'value="2026-03-11"' in page.content.decode()


def test_clinic_today_is_the_date_on_the_clinics_wall(clinic_a: Clinic) -> None:
    with time_machine.travel(MORNING_IN_SYDNEY, tick=False):
        assert clinic_a.today() == date(2026, 3, 10)  # UTC by default
        set_zone(clinic_a, "Australia/Sydney")
        assert clinic_a.today() == date(2026, 3, 11)


def test_overdue_counts_days_on_the_clinics_calendar(
    clinic_a: Clinic, therapist_a1: User, client_a1: Patient
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    clinic_a.overdue_days = 21
    clinic_a.save()
    # Overdue means more than 21 days since activation (18 February).
    client_a1.activated_on = date(2026, 3, 11) - timedelta(days=21)
    client_a1.save()
    with time_machine.travel(MORNING_IN_SYDNEY - timedelta(hours=12), tick=False):
        # 10:30 UTC on 10 March = 21:30 in Sydney on 10 March: 20 days.
        assert "overdue" not in caseload_overview(therapist_a1)[0].flag_codes
    with time_machine.travel(MORNING_IN_SYDNEY + timedelta(days=1), tick=False):
        # 09:30 on 12 March in Sydney: 22 days there, only 21 by UTC's 11 March.
        assert "overdue" in caseload_overview(therapist_a1)[0].flag_codes


def test_staff_pages_show_times_in_the_clinics_zone(
    clinic_a: Clinic, therapist_a1: User, issued: IssuedLink
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    Administration.objects.filter(pk=issued.administration.pk).update(
        expires_at=timezone.now().replace(hour=12, minute=0) + timedelta(days=3)
    )
    expected = timezone.localtime(
        Administration.objects.get(pk=issued.administration.pk).expires_at,
        clinic_a.zone,
    )
    assert expected.hour == 23  # 12:00 UTC is 23:00 in Sydney in summer (AEDT)
    page = client_for(therapist_a1).get(
        reverse("assessments:administration", args=[issued.administration.pk])
    )
    assert expected.strftime("%-d %b %Y, 23:00") in page.content.decode()
    assert timezone.get_current_timezone_name() == "UTC"  # the zone ends with the request


def test_a_reminder_sent_by_the_scheduler_dates_the_link_in_the_clinics_zone(
    clinic_a: Clinic, therapist_a1: User, issued: IssuedLink
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    administration_email(actor=therapist_a1, administration=issued.administration)
    # Expires at 20:00 UTC on 1 December: 2 December in Sydney.
    Administration.objects.filter(pk=issued.administration.pk).update(
        expires_at=datetime(2026, 12, 1, 20, 0, tzinfo=UTC),
        emailed_at=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
    )
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 11, 25, tzinfo=UTC), tick=False):
        assert reminders_send().sent == 1
    assert "2 December 2026" in mail.outbox[0].body


def test_the_admin_sets_the_zone_in_console_settings(clinic_a: Clinic, admin_a: User) -> None:
    url = reverse("assessments:clinic_settings")
    browser = client_for(admin_a)
    form = browser.get(url)
    assert 'name="time_zone"' in form.content.decode()
    data = {
        "name": clinic_a.name,
        "default_client_form": clinic_a.default_client_form,
        "default_therapist_form": clinic_a.default_therapist_form,
        "invitation_expiry_days": 7,
        "reminder_delay_days": 2,
        "low_pomp_threshold": 60,
        "low_rule": "threshold",
        "overdue_days": 21,
    }
    assert browser.post(url, {**data, "time_zone": "Europe/Berlin"}).status_code == 302
    clinic_a.refresh_from_db()
    assert clinic_a.time_zone == "Europe/Berlin"
    for bad, says in [
        ("Mars/Olympus_Mons", "is not a time zone name"),
        ("../../etc/passwd", "is not a time zone name"),
        ("Europe/", "is not a time zone name"),
        ("x" * 200, "at most 64 characters"),
    ]:
        response = browser.post(url, {**data, "time_zone": bad})
        assert response.status_code == 400
        assert says in response.content.decode(), bad
    clinic_a.refresh_from_db()
    assert clinic_a.time_zone == "Europe/Berlin"
    # Left empty, the zone stays as it was.
    assert browser.post(url, {**data, "time_zone": ""}).status_code == 302
    clinic_a.refresh_from_db()
    assert clinic_a.time_zone == "Europe/Berlin"


def test_a_new_clinic_takes_the_sites_time_zone(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/Paris"
    assert Clinic.objects.create(name="New", slug="new").time_zone == "Europe/Paris"


def test_the_questionnaire_date_from_a_link_made_at_night_is_the_clinics(
    clinic_a: Clinic, therapist_a1: User, client_a1: Patient
) -> None:
    set_zone(clinic_a, "Australia/Sydney")
    with time_machine.travel(MORNING_IN_SYDNEY, tick=False):
        issued = administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=Occasion(OccasionKind.SESSION, 1, "", clinic_a.today()),
        )
    assert issued.administration.session_date == date(2026, 3, 11)
