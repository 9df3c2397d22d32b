"""Therapists and admins: ask for a questionnaire, see the link, withdraw, rate, enter
paper forms, correct — each only for their own clients."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessments.models import (
    AccessLink,
    Administration,
    AdministrationStatus,
    Answer,
    Channel,
    Rater,
    Response,
)
from assessments.questionnaires.links import IssuedLink
from clinicians.models import AuditEvent, Patient, User
from tests.conftest import client_for

from .fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()


def request_body(**extra: str) -> dict[str, str]:
    body = {
        "form_code": "wai-sr-client",
        "occasion": "session",
        "session_number": "4",
        "session_date": TODAY,
    }
    body.update(extra)
    return body


def test_a_therapist_asks_for_a_questionnaire_and_sees_link_qr_and_code(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    form_page = browser.get(f"/clients/{client_a1.pk}/questionnaires/new/")
    assert form_page.status_code == 200
    assert 'value="wai-sr-client" selected' in form_page.content.decode()
    response = browser.post(f"/clients/{client_a1.pk}/questionnaires/new/", request_body())
    assert response.status_code == 302
    administration = Administration.objects.get()
    assert response.url == f"/questionnaires/{administration.pk}/"
    page = browser.get(response.url).content.decode()
    assert "http://testserver/q/" in page
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn by the app
    assert administration.short_code in page
    assert "Copy" in page
    token = page.split("/q/")[1].split('"')[0]
    assert AccessLink.objects.filter(administration=administration).count() == 1
    assert open_questionnaire(token).get("/q/").status_code == 200
    assert administration.session_number == 4
    assert (administration.expires_at - administration.created_at).days == 7
    assert AuditEvent.objects.filter(action="questionnaire_requested").count() == 1


def test_the_link_is_not_shown_in_another_browser(therapist_a1: User, client_a1: Patient) -> None:
    client_for(therapist_a1).post(f"/clients/{client_a1.pk}/questionnaires/new/", request_body())
    administration = Administration.objects.get()
    page = client_for(therapist_a1).get(f"/questionnaires/{administration.pk}/").content.decode()
    assert "/q/" not in page
    assert "Show a new link and code" in page


def test_a_new_link_withdraws_the_earlier_ones(therapist_a1: User, issued: IssuedLink) -> None:
    browser = client_for(therapist_a1)
    browser.post(f"/questionnaires/{issued.administration.pk}/new-link/")
    page = browser.get(f"/questionnaires/{issued.administration.pk}/").content.decode()
    new_token = page.split("/q/")[1].split('"')[0]
    assert new_token != issued.token
    assert open_questionnaire(new_token).get("/q/").status_code == 200
    from django.test import Client

    assert Client().get(f"/q/{issued.token}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("session_number", "", "Enter the session number."),
        ("session_date", "2999-01-01", "cannot be in the future"),
        ("session_date", "27/11/2026x", "Enter a date such as"),
        ("form_code", "wai-s-therapist", "Select a valid choice"),
        ("form_code", "no-such-form", "Select a valid choice"),
        ("occasion", "party", "Select a valid choice"),
    ],
)
def test_a_bad_request_is_refused_with_a_message(
    therapist_a1: User, client_a1: Patient, field: str, value: str, message: str
) -> None:
    response = client_for(therapist_a1).post(
        f"/clients/{client_a1.pk}/questionnaires/new/", request_body(**{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Administration.objects.count() == 0


def test_a_therapist_cannot_ask_for_a_colleagues_client(
    therapist_a1: User, client_a2: Patient, client_b1: Patient
) -> None:
    browser = client_for(therapist_a1)
    for patient in (client_a2, client_b1):
        url = f"/clients/{patient.pk}/questionnaires/new/"
        assert browser.get(url).status_code == 404
        assert browser.post(url, request_body()).status_code == 404
    assert Administration.objects.count() == 0


def test_withdrawing_ends_the_link(therapist_a1: User, issued: IssuedLink) -> None:
    response = client_for(therapist_a1).post(
        f"/questionnaires/{issued.administration.pk}/withdraw/", follow=True
    )
    assert "was withdrawn" in response.content.decode()
    issued.administration.refresh_from_db()
    assert issued.administration.status == AdministrationStatus.REVOKED


def test_an_admin_can_withdraw_but_another_clinic_cannot_see_it(
    admin_a: User, admin_b: User, issued: IssuedLink
) -> None:
    url = f"/questionnaires/{issued.administration.pk}/"
    assert client_for(admin_b).get(url).status_code == 404
    assert client_for(admin_b).post(url + "withdraw/").status_code == 404
    assert client_for(admin_a).post(url + "withdraw/").status_code == 302
    issued.administration.refresh_from_db()
    assert issued.administration.status == AdministrationStatus.REVOKED


def test_the_therapist_rates_the_same_session_and_it_is_linked(
    therapist_a1: User, issued: IssuedLink
) -> None:
    client_pk = issued.administration.patient_id
    browser = client_for(therapist_a1)
    page = browser.get(f"/clients/{client_pk}/own-rating/?for={issued.administration.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "I believe my client likes me." in html  # wai-s-therapist item 3
    assert 'name="session_number" value="3"' in html
    body = {
        "form_code": "wai-s-therapist",
        "occasion": "session",
        "session_number": "3",
        "session_date": "2026-11-20",
        **all_answers(12, 6),
    }
    response = browser.post(f"/clients/{client_pk}/own-rating/", body)
    assert response.status_code == 302
    rating = Administration.objects.get(rater=Rater.THERAPIST)
    assert rating.linked_to == issued.administration
    assert rating.therapist == therapist_a1
    stored = rating.responses.get()
    assert stored.channel == Channel.SELF
    assert stored.entered_by == therapist_a1
    # Items 4 and 10 are reverse-keyed: 6 counts as 2.
    assert stored.goal_sum == 6 + 6 + 2 + 2


def test_an_admin_cannot_give_the_therapists_own_rating(admin_a: User, client_a1: Patient) -> None:
    assert client_for(admin_a).get(f"/clients/{client_a1.pk}/own-rating/").status_code == 403


def test_paper_entry_allows_gaps_and_records_who_typed_it(
    admin_a: User, client_a1: Patient
) -> None:
    answers = all_answers(12, 3)
    answers["item_1"] = ""  # skipped on paper
    body = {
        "form_code": "wai-sr-client",
        "occasion": "intake",
        "session_date": TODAY,
        **answers,
    }
    response = client_for(admin_a).post(f"/clients/{client_a1.pk}/paper/", body)
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.channel == Channel.PAPER
    assert stored.entered_by == admin_a
    assert stored.answered == 11
    assert stored.prorated
    assert stored.task_sum == pytest.approx(12.0)  # mean 3 of the 3 answered, times 4
    assert Answer.objects.get(response=stored, item=1).value is None
    page = client_for(admin_a).get(response.url).content.decode()
    assert "Entered by Ada Admin" in page
    assert "no answer" in page


def test_paper_entry_with_too_many_gaps_stores_unscored_subscales(
    therapist_a1: User, client_a1: Patient
) -> None:
    answers = {f"item_{i}": "4" for i in (3, 5, 7, 9)}  # bond only
    body = {"form_code": "wai-sr-client", "occasion": "intake", "session_date": TODAY, **answers}
    for i in range(1, 13):
        body.setdefault(f"item_{i}", "")
    assert client_for(therapist_a1).post(f"/clients/{client_a1.pk}/paper/", body).status_code == 302
    stored = Response.objects.get()
    assert stored.bond_mean == 4
    assert stored.goal_mean is None
    assert stored.total_sum is None


def test_a_correction_keeps_the_old_version_and_is_audited(
    therapist_a1: User, issued: IssuedLink
) -> None:
    post_answers(open_questionnaire(issued.token), all_answers(12, 2))
    original = Response.objects.get()
    browser = client_for(therapist_a1)
    url = f"/responses/{original.pk}/correct/"
    assert browser.get(url).status_code == 200
    refused = browser.post(url, {"form_code": "wai-sr-client", "reason": "", **all_answers(12, 3)})
    assert refused.status_code == 400
    assert Response.objects.count() == 1
    done = browser.post(
        url, {"form_code": "wai-sr-client", "reason": "Typing error", **all_answers(12, 3)}
    )
    assert done.status_code == 302
    original.refresh_from_db()
    assert not original.is_current
    assert original.total_mean == 2  # the old version is unchanged
    new = Response.objects.get(is_current=True)
    assert new.version == 2
    assert new.total_mean == 3
    assert new.supersedes == original
    assert AuditEvent.objects.filter(action="questionnaire_corrected").count() == 1
    # Correcting the old version again is refused.
    again = browser.post(
        url, {"form_code": "wai-sr-client", "reason": "again", **all_answers(12, 4)}
    )
    assert again.status_code == 302
    assert Response.objects.count() == 2


def test_a_stored_response_cannot_be_edited_in_place(issued: IssuedLink) -> None:
    post_answers(open_questionnaire(issued.token), all_answers())
    stored = Response.objects.get()
    stored.total_sum = 1
    with pytest.raises(RuntimeError, match="cannot be edited"):
        stored.save()


def test_the_client_page_lists_questionnaires_with_scores(
    therapist_a1: User, issued: IssuedLink
) -> None:
    post_answers(open_questionnaire(issued.token), all_answers(12, 4))
    page = client_for(therapist_a1).get(f"/clients/{issued.administration.patient_id}/")
    html = page.content.decode()
    assert "Session 3" in html
    assert "4.00" in html  # total mean
    assert "75" in html  # total POMP


@pytest.mark.parametrize("pk", ["abc", "999999", "1.5", "-1"])
def test_edited_urls_answer_404_not_500(therapist_a1: User, pk: str) -> None:
    browser = client_for(therapist_a1)
    for url in (f"/clients/{pk}/", f"/questionnaires/{pk}/", f"/responses/{pk}/correct/"):
        assert browser.get(url).status_code == 404


def test_clinic_settings_change_the_default_form_and_expiry(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(admin_a)
    body = {
        "name": "Northside Therapy",
        "default_client_form": "wai-s-client",
        "default_therapist_form": "wai-s-therapist",
        "invitation_expiry_days": "3",
        "reminder_delay_days": "1",
        "low_pomp_threshold": "55",
        "low_rule": "threshold",
        "overdue_days": "21",
    }
    assert browser.post("/console/settings/", body).status_code == 302
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/questionnaires/new/")
    assert 'value="wai-s-client" selected' in page.content.decode()
    bad = browser.post("/console/settings/", {**body, "invitation_expiry_days": "0"})
    assert bad.status_code == 400
    assert client_for(therapist_a1).get("/console/settings/").status_code == 403
