"""The waiting-room kiosk: enrolment, codes within one clinic, rate limits, forgetting."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from assessments.models import KioskDevice, Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink, administration_request
from assessments.views.client import (
    KIOSK_COOKIE,
    KIOSK_WRONG_PER_CLINIC,
    KIOSK_WRONG_PER_DEVICE,
)
from clinicians.models import AuditEvent, Patient, User
from tests.conftest import client_for, make_client, make_staff

from .fixtures import SESSION_3, all_answers

pytestmark = pytest.mark.django_db


def kiosk_browser(admin: User) -> Client:
    _device, token = kiosk_enrol(actor=admin, name="Waiting room")
    browser = Client()
    browser.cookies[KIOSK_COOKIE] = token
    return browser


def test_an_unenrolled_browser_is_told_to_ask_the_front_desk() -> None:
    response = Client().get("/kiosk")
    assert response.status_code == 403
    assert "Please ask at the front desk" in response.content.decode()
    assert "<form" not in response.content.decode()


def test_an_admin_enrols_a_tablet_and_is_signed_out_on_it(admin_a: User) -> None:
    browser = client_for(admin_a)
    response = browser.post("/console/kiosks/enrol/", {"name": "Front room"})
    assert response.status_code == 302
    assert response.url == "/kiosk"
    cookie = response.cookies[KIOSK_COOKIE]
    assert cookie["httponly"]
    assert cookie["path"] == "/kiosk"
    assert int(cookie["max-age"]) > 300 * 24 * 3600
    assert "_auth_user_id" not in browser.session
    assert KioskDevice.objects.get().token_hash != cookie.value  # only the hash is kept
    page = browser.get("/kiosk")
    assert page.status_code == 200
    assert "Type the 6-character code" in page.content.decode()
    assert AuditEvent.objects.filter(action="kiosk_enrolled", actor=admin_a).exists()


def test_a_client_types_the_code_fills_in_and_the_tablet_forgets(
    admin_a: User, issued: IssuedLink
) -> None:
    browser = kiosk_browser(admin_a)
    typed = issued.short_code.lower()[:3] + " " + issued.short_code.lower()[3:]
    response = browser.post("/kiosk", {"code": typed})
    assert response.status_code == 302
    assert response.url == "/kiosk/questionnaire/"
    page = browser.get("/kiosk/questionnaire/")
    assert page.status_code == 200
    assert "kiosk.js" in page.content.decode()
    assert "Alice" not in page.content.decode()
    done = browser.post("/kiosk/questionnaire/", {"form_code": "wai-sr-client", **all_answers()})
    assert done.url == "/kiosk/thanks/"
    assert Response.objects.get().channel == "kiosk"
    thanks = browser.get("/kiosk/thanks/")
    # Back to the code page after seconds without input (a script: a delayed meta
    # refresh cannot be paused, which axe reports as a WCAG 2.2.1 failure).
    assert "kiosk-return.js" in thanks.content.decode()
    assert 'http-equiv="refresh"' not in thanks.content.decode()
    # Back button: the answers page is gone; the tablet is at the code page again.
    back = browser.get("/kiosk/questionnaire/")
    assert back.status_code == 302
    assert back.url == "/kiosk"
    assert back["Cache-Control"] == "no-store"


def test_two_idle_minutes_end_the_visit(admin_a: User, issued: IssuedLink) -> None:
    browser = kiosk_browser(admin_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser.post("/kiosk", {"code": issued.short_code})
        assert browser.get("/kiosk/questionnaire/").status_code == 200
    with time_machine.travel(start + timedelta(seconds=125), tick=False):
        response = browser.get("/kiosk/questionnaire/")
        assert response.status_code == 302
        assert response.url == "/kiosk"


def test_codes_of_another_clinic_do_not_work(admin_b: User, issued: IssuedLink) -> None:
    browser = kiosk_browser(admin_b)
    response = browser.post("/kiosk", {"code": issued.short_code})
    assert response.status_code == 400
    assert "That code does not work" in response.content.decode()


def test_a_code_lasts_thirty_minutes(admin_a: User, issued: IssuedLink) -> None:
    browser = kiosk_browser(admin_a)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = browser.post("/kiosk", {"code": issued.short_code})
    assert response.status_code == 400


def test_wrong_codes_are_limited_per_tablet(admin_a: User, issued: IssuedLink) -> None:
    browser = kiosk_browser(admin_a)
    for _ in range(5):
        assert browser.post("/kiosk", {"code": "AAAAAA"}).status_code == 400
    # Now even the right code waits: guessing cannot go on.
    limited = browser.post("/kiosk", {"code": issued.short_code})
    assert limited.status_code == 429
    assert "Too many codes did not work" in limited.content.decode()
    # Another tablet of the clinic still works.
    other = kiosk_browser(admin_a)
    assert other.post("/kiosk", {"code": issued.short_code}).status_code == 302


def test_one_tablet_cannot_lock_out_the_clinics_other_tablets(
    admin_a: User, issued: IssuedLink
) -> None:
    # Finding 11: 30 wrong codes from one tablet used to lock every tablet of the clinic.
    noisy = kiosk_browser(admin_a)
    for _ in range(40):
        noisy.post("/kiosk", {"code": "AAAAAA"})
    assert KIOSK_WRONG_PER_DEVICE == 5
    other = kiosk_browser(admin_a)
    assert other.post("/kiosk", {"code": issued.short_code}).status_code == 302


def test_the_clinic_wide_backstop_spares_tablets_with_a_clean_record(
    admin_a: User, issued: IssuedLink
) -> None:
    # Ten tablets each at their own limit reach the clinic-wide backstop: a tablet that
    # has typed a wrong code in this window waits; one that has not still works.
    for _ in range(KIOSK_WRONG_PER_CLINIC // KIOSK_WRONG_PER_DEVICE):
        tablet = kiosk_browser(admin_a)
        for _ in range(KIOSK_WRONG_PER_DEVICE):
            tablet.post("/kiosk", {"code": "AAAAAA"})
    once = kiosk_browser(admin_a)
    assert once.post("/kiosk", {"code": "AAAAAA"}).status_code == 400
    assert once.post("/kiosk", {"code": issued.short_code}).status_code == 429
    fresh = kiosk_browser(admin_a)
    assert fresh.post("/kiosk", {"code": issued.short_code}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_on_one_tablet_get_exactly_five_checks(admin_a: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("true parallel requests need PostgreSQL (CI runs it there)")
    _device, token = kiosk_enrol(actor=admin_a, name="Waiting room")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def guess() -> None:
        try:
            browser = Client()
            browser.cookies[KIOSK_COOKIE] = token
            barrier.wait()
            for _ in range(2):
                statuses.append(browser.post("/kiosk", {"code": "AAAAAA"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 40
    assert statuses.count(400) == KIOSK_WRONG_PER_DEVICE  # checked, and wrong
    assert statuses.count(429) == 40 - KIOSK_WRONG_PER_DEVICE


def test_a_revoked_tablet_is_no_kiosk_any_more(admin_a: User) -> None:
    browser = kiosk_browser(admin_a)
    device = KioskDevice.objects.get()
    client_for(admin_a).post(f"/console/kiosks/{device.pk}/revoke/")
    assert browser.get("/kiosk").status_code == 403


def test_an_admin_cannot_revoke_another_clinics_tablet(admin_a: User, admin_b: User) -> None:
    kiosk_browser(admin_b)
    device = KioskDevice.objects.get()
    assert client_for(admin_a).post(f"/console/kiosks/{device.pk}/revoke/").status_code == 404
    assert KioskDevice.objects.get().revoked_at is None


def test_kiosk_codes_avoid_look_alike_characters(therapist_a1: User, client_a1: Patient) -> None:
    codes = set()
    for n in range(30):
        issued = administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=SESSION_3.__class__("session", n + 1, "", SESSION_3.session_date),
        )
        codes.add(issued.short_code)
    assert len(codes) == 30
    assert all(len(c) == 6 for c in codes)
    assert not set("".join(codes)) & set("0O1IL2Z5S8BQD")


def test_a_kiosk_page_shows_nothing_of_the_last_visit(admin_a: User, issued: IssuedLink) -> None:
    browser = kiosk_browser(admin_a)
    browser.post("/kiosk", {"code": issued.short_code})
    browser.post("/kiosk/questionnaire/", {"form_code": "wai-sr-client", **all_answers()})
    other_therapist = make_staff(admin_a.clinic, "new@northside.test", "therapist", "New One")
    make_client(admin_a.clinic, "A-777", other_therapist)
    page = browser.get("/kiosk").content.decode()
    assert 'type="radio"' not in page
    assert 'value="' not in page.split('name="code"')[1].split(">")[0]
