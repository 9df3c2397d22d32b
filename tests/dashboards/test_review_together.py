"""Review together: the client's own scores in large type, nothing else, and one way back
to the staff pages (the staff member's password)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from assessments.models import Rater
from assessments.views.review import MAX_FAILURES, REVIEW_SESSION_KEY
from clinicians.models import AuditEvent, Patient, User
from tests.conftest import PASSWORD, client_for

from .test_caseload import rate

pytestmark = pytest.mark.django_db


def review_url(patient: Patient) -> str:
    return f"/clients/{patient.pk}/review/"


def leave(browser: Client, patient: Patient, password: str):  # type: ignore[no-untyped-def]
    return browser.post(f"/clients/{patient.pk}/review/leave/", {"password": password})


def opened(user: User, patient: Patient) -> Client:
    browser = client_for(user)
    assert browser.get(review_url(patient)).status_code == 200
    return browser


def test_the_review_shows_the_clients_own_scores_in_plain_words_and_nothing_else(
    therapist_a1: User, client_a1: Patient, client_a2: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2, 4])  # a rupture, repaired next time
    rate(therapist_a1, client_a1, [1], rater=Rater.THERAPIST)  # a therapist total of 0
    page = opened(therapist_a1, client_a1).get(review_url(client_a1)).content.decode()
    assert "How much you and your therapist agree on goals" in page
    assert 'class="review-number">75<' in page  # the latest total, in large type
    table = page.split('id="review-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 7  # header + the client's six, no therapist rating
    # No flags, rupture marks, notes, Low line, other clients or staff navigation.
    for absent in (
        "rupture",
        "flag",
        "Low:",
        "line-therapist",
        "Therapist:",
        "A-002",
        "A-001",
        "My caseload",
        "/caseload/",
        "Exports",
        "Notes",
    ):
        assert absent not in page, absent
    assert page.count('<svg class="alliance-chart chart-') == 3
    assert 'name="password"' in page and "Back to staff view" in page


def test_opening_the_review_writes_one_view_line(
    therapist_a1: User, client_a1: Patient, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    rate(therapist_a1, client_a1, [4, 4])
    browser = opened(therapist_a1, client_a1)
    # Session, user, device, the client, series, norms, the audit insert, session save.
    with django_assert_max_num_queries(10):
        browser.get(review_url(client_a1))
    lines = AuditEvent.objects.filter(action="client_data_viewed", patient=client_a1)
    assert [e.detail["page"] for e in lines] == ["review", "review"]


def test_in_review_mode_every_staff_page_leads_back_to_the_review(
    therapist_a1: User, client_a1: Patient, client_a2: Patient, admin_a: User
) -> None:
    browser = opened(therapist_a1, client_a1)
    for url in ("/caseload/", f"/clients/{client_a1.pk}/", "/exports/", "/forms/", "/"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response.url == review_url(client_a1), url
    # Another client's review, and a POST to a staff page, too.
    assert browser.get(review_url(client_a2)).url == review_url(client_a1)
    response = browser.post(f"/clients/{client_a1.pk}/flags/discussed/", {"administration": 1})
    assert response.status_code == 302 and response.url == review_url(client_a1)


def test_a_wrong_password_keeps_the_review_and_says_so_plainly(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = opened(therapist_a1, client_a1)
    response = leave(browser, client_a1, "not-the-password")
    assert response.status_code == 400
    assert "That password is not right. Please try again." in response.content.decode()
    assert browser.session[REVIEW_SESSION_KEY] == client_a1.pk
    assert browser.get("/caseload/").url == review_url(client_a1)
    empty = leave(browser, client_a1, "")
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    refused = AuditEvent.objects.filter(action="review_leave_refused", patient=client_a1)
    assert [e.detail["failures"] for e in refused.order_by("pk")] == [1, 2]


def test_the_right_password_goes_back_to_the_client_page(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = opened(therapist_a1, client_a1)
    leave(browser, client_a1, "wrong")
    response = leave(browser, client_a1, PASSWORD)
    assert response.status_code == 302 and response.url == f"/clients/{client_a1.pk}/"
    assert REVIEW_SESSION_KEY not in browser.session
    assert browser.get("/caseload/").status_code == 200
    assert AuditEvent.objects.filter(action="review_left", patient=client_a1).count() == 1


def test_too_many_wrong_passwords_end_the_session(therapist_a1: User, client_a1: Patient) -> None:
    browser = opened(therapist_a1, client_a1)
    for _ in range(MAX_FAILURES - 1):
        assert leave(browser, client_a1, "guess").status_code == 400
    response = leave(browser, client_a1, "guess")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    again = browser.get("/caseload/")
    assert again.status_code == 302 and again.url.startswith("/accounts/login/")
    # Even the right password now needs a full sign-in (with the second factor).
    assert leave(browser, client_a1, PASSWORD).url.startswith("/accounts/login/")


def test_sign_out_still_works_in_review_mode(therapist_a1: User, client_a1: Patient) -> None:
    browser = opened(therapist_a1, client_a1)
    response = browser.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert browser.get("/caseload/").url.startswith("/accounts/login/")


def test_only_the_clients_therapist_and_clinic_admin_may_open_it(
    therapist_a1: User, therapist_a2: User, admin_a: User, admin_b: User, client_a1: Patient
) -> None:
    assert client_for(admin_a).get(review_url(client_a1)).status_code == 200
    assert client_for(therapist_a2).get(review_url(client_a1)).status_code == 404
    assert client_for(admin_b).get(review_url(client_a1)).status_code == 404
    assert client_for(admin_a).get("/clients/x1/review/").status_code == 404
    # The refused ones are not left in review mode.
    other = client_for(therapist_a2)
    other.get(review_url(client_a1))
    assert other.get("/caseload/").status_code == 200


def test_the_admin_leaves_with_their_own_password(admin_a: User, client_a1: Patient) -> None:
    browser = opened(admin_a, client_a1)
    assert browser.get("/console/").url == review_url(client_a1)
    assert leave(browser, client_a1, PASSWORD).url == f"/clients/{client_a1.pk}/"


def test_the_review_speaks_the_clients_language(therapist_a1: User, client_a1: Patient) -> None:
    client_a1.preferred_language = "de"
    client_a1.save(update_fields=["preferred_language"])
    rate(therapist_a1, client_a1, [4])
    page = client_for(therapist_a1).get(review_url(client_a1)).content.decode()
    assert '<html lang="de"' in page
    assert "Zurück zur Ansicht für Mitarbeitende" in page


def test_a_client_who_leaves_the_caseload_mid_review_ends_the_session(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = opened(therapist_a1, client_a1)
    client_a1.assignments.update(ended_at=timezone.now())
    response = browser.get(review_url(client_a1))
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert browser.get("/caseload/").url.startswith("/accounts/login/")


def test_leaving_outside_review_mode_changes_nothing(
    therapist_a1: User, client_a1: Patient
) -> None:
    response = leave(client_for(therapist_a1), client_a1, "anything")
    assert response.status_code == 302 and response.url == f"/clients/{client_a1.pk}/"
    assert not AuditEvent.objects.filter(action__startswith="review_").exists()
