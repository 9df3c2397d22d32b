"""The caseload's content comes from the shared cache (assessments/views/dashboards.py):
every change shows on the very next view, no one sees another's entry, and the page
costs a fixed number of queries, from the cache or not, whatever the caseload's size.

Each test first shows that the page it changes was served from the cache (`view`
tells a hit from the queries: a hit reads no client), so a pass is not the cache
being off."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_site import freshness
from assessments.alliance.marking import flags_discuss
from assessments.models import (
    Administration,
    AllianceSummary,
    FlagDiscussion,
    OccasionKind,
    Rater,
)
from assessments.questionnaires.links import (
    IssuedLink,
    Occasion,
    administration_request,
    administration_revoke,
)
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, User
from clinicians.services.caseloads import case_assign
from clinicians.services.clients import patient_discharge, patient_update
from tests.conftest import client_for, make_client
from tests.questionnaires.fixtures import all_answers, open_questionnaire, post_answers

from .caseloads import NOW, Client, Link, make_caseload

pytestmark = pytest.mark.django_db

CASELOAD = reverse("assessments:caseload")


def view(browser: Browser, url: str = CASELOAD, **headers: str) -> tuple[str, bool]:
    """The page's content (between the navigation and the footer) and whether it came
    from the cache."""
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    content = html[html.index('<h1 class="h3">') : html.index("</main>")]
    hit = not any('"clinicians_patient"' in q["sql"] for q in queries.captured_queries)
    return content, hit


def cached(browser: Browser, url: str = CASELOAD, **headers: str) -> str:
    """View the page twice: built, then from the cache (the same content)."""
    first, hit = view(browser, url, **headers)
    assert not hit
    again, hit = view(browser, url, **headers)
    assert hit and again == first
    return first


def fresh(browser: Browser, url: str = CASELOAD, **headers: str) -> str:
    content, hit = view(browser, url, **headers)
    assert not hit, "served from the cache after a change"
    return content


def rate(actor: User, patient: Patient, value: int) -> None:
    staff_entry_submit(
        actor=actor,
        patient=patient,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
        answers={i: value for i in range(1, 13)},
    )


def ask(actor: User, patient: Patient) -> IssuedLink:
    return administration_request(
        actor=actor,
        patient=patient,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 2, "", timezone.localdate()),
    )


def test_a_clients_submission_shows_on_the_next_view(
    therapist_a1: User, client_a1: Patient
) -> None:
    issued = ask(therapist_a1, client_a1)
    browser = client_for(therapist_a1)
    before = cached(browser)
    assert "Waiting for the first questionnaire." in before
    post_answers(open_questionnaire(issued.token), all_answers(value=5))
    after = fresh(browser)
    assert "<strong>100</strong>" in after
    assert "Waiting for the first questionnaire." not in after
    assert "No questionnaire is waiting for an answer." in after


def test_a_new_link_and_a_withdrawn_one_show_on_the_next_view(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    assert "No questionnaire is waiting for an answer." in cached(browser)
    issued = ask(therapist_a1, client_a1)
    asked = fresh(browser)
    waiting = reverse("assessments:administration", args=[issued.administration.pk])
    assert waiting in asked
    assert view(browser)[1]  # from the cache again
    administration_revoke(actor=therapist_a1, administration=issued.administration)
    withdrawn = fresh(browser)
    assert waiting not in withdrawn
    assert "No questionnaire is waiting for an answer." in withdrawn


def test_flags_marked_discussed_show_on_the_next_view(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, 2)  # low
    browser = client_for(therapist_a1)
    assert "flag-discussed-label" not in cached(browser)
    summary = AllianceSummary.objects.get(patient=client_a1)
    flags_discuss(
        actor=therapist_a1,
        patient=client_a1,
        administration_id=summary.latest.administration_id,
        flags=["low"],
    )
    after = fresh(browser)
    assert "flag-discussed-label" in after
    assert "discussed-note" in after


def test_a_transferred_client_moves_to_the_other_caseload_at_once(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    mine, theirs = client_for(therapist_a1), client_for(therapist_a2)
    assert "A-001" in cached(mine)
    assert "A-001" not in cached(theirs)
    case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a2)
    assert "A-001" not in fresh(mine)
    assert "A-001" in fresh(theirs)


def test_an_edited_and_a_discharged_client_show_on_the_next_view(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    assert "Alice Client" in cached(browser)
    patient_update(
        actor=admin_a,
        patient=client_a1,
        code="A-001",
        display_name="Alicia Client",
        email=client_a1.email,
        preferred_language="en",
    )
    assert "Alicia Client" in fresh(browser)
    assert view(browser)[1]  # from the cache again
    patient_discharge(actor=admin_a, patient=Patient.objects.get(pk=client_a1.pk))
    after = fresh(browser)
    assert "A-001" not in after
    assert "0 active clients" in after


def test_a_link_expiring_turns_the_client_overdue_without_any_write(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, 4)
    issued = ask(therapist_a1, client_a1)
    expires = timezone.now() + timedelta(seconds=120)
    Administration.objects.filter(pk=issued.administration.pk).update(expires_at=expires)
    browser = client_for(therapist_a1)
    before = cached(browser)
    assert "flag-overdue" not in before
    assert "No questionnaire is waiting for an answer." not in before
    # Past the link's expiry, well within the cache's five minutes: nothing was written.
    with time_machine.travel(expires + timedelta(seconds=1)):
        after = fresh(browser)
    assert "flag-overdue" in after
    assert "The last questionnaire link expired unanswered" in after
    assert "No questionnaire is waiting for an answer." in after


def test_the_clinics_low_rule_and_overdue_days_show_on_the_next_view(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, 4)  # 75 POMP: not low at the default threshold of 60
    Patient.objects.filter(pk=client_a1.pk).update(
        activated_on=timezone.localdate() - timedelta(days=10)
    )
    browser = client_for(therapist_a1)
    before = cached(browser)
    assert "flag-low" not in before
    clinic = therapist_a1.clinic
    clinic.low_pomp_threshold = 80
    clinic.save()
    assert "flag-low" in fresh(browser)
    assert view(browser)[1]  # from the cache again
    # The questionnaire was entered today: overdue after more than 0 days is impossible,
    # so move it back instead of waiting.
    AllianceSummary.objects.filter(patient=client_a1).update(
        completed_at=timezone.now() - timedelta(days=5)
    )
    assert "flag-overdue" not in fresh(browser)
    assert view(browser)[1]  # from the cache again
    clinic.overdue_days = 3
    clinic.save()
    assert "No questionnaire for 5 days" in fresh(browser)


def test_a_new_day_on_the_clinics_clock_is_a_new_entry(
    therapist_a1: User, client_a1: Patient
) -> None:
    zone = therapist_a1.clinic.zone
    tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
    midnight = timezone.make_aware(datetime.combine(tomorrow, time.min), zone)
    Patient.objects.filter(pk=client_a1.pk).update(activated_on=tomorrow - timedelta(days=22))
    with time_machine.travel(midnight - timedelta(seconds=30)):
        browser = client_for(therapist_a1)
        assert "flag-overdue" not in cached(browser)  # 21 days: not yet more than 21
    # A minute later, well within the cache's five minutes: a new day, a new entry.
    with time_machine.travel(midnight + timedelta(seconds=30)):
        assert "No questionnaire for 22 days" in fresh(browser)


def test_two_therapists_never_see_each_others_content(
    therapist_a1: User, therapist_a2: User, client_a1: Patient, client_a2: Patient
) -> None:
    mine = cached(client_for(therapist_a1))
    theirs = fresh(client_for(therapist_a2))
    assert "A-001" in mine and "A-002" not in mine
    assert "A-002" in theirs and "A-001" not in theirs


def test_each_language_and_query_has_its_own_entry(therapist_a1: User, client_a1: Patient) -> None:
    browser = client_for(therapist_a1)  # no language of their own: the browser's counts
    english = cached(browser, HTTP_ACCEPT_LANGUAGE="en")
    german = fresh(browser, HTTP_ACCEPT_LANGUAGE="de")
    assert "1 active client" in english
    assert "1 active client" not in german
    assert view(browser, HTTP_ACCEPT_LANGUAGE="en") == (english, True)
    assert view(browser, HTTP_ACCEPT_LANGUAGE="de") == (german, True)
    # The sort links keep the query string: another query, another entry.
    by_code = fresh(browser, CASELOAD + "?sort=code&x=1", HTTP_ACCEPT_LANGUAGE="en")
    assert "x=1" in by_code


def pinned(browser: Browser) -> tuple[int, int]:
    """Queries of a view built afresh, then of one from the cache."""
    freshness.bump()
    with CaptureQueriesContext(connection) as miss:
        assert browser.get(CASELOAD).status_code == 200
    with CaptureQueriesContext(connection) as hit:
        assert browser.get(CASELOAD).status_code == 200
    return len(miss.captured_queries), len(hit.captured_queries)


def test_the_caseload_runs_the_same_queries_for_40_or_200_clients(
    therapist_a1: User, therapist_a2: User, discussion: FlagDiscussion
) -> None:
    def clients(start: int, end: int) -> list[Client]:
        return [
            Client(
                f"C-{n:03d}",
                n % 30,
                {
                    "total_pomp": float(n % 100),
                    "form_code": "wai-sr-client",
                    "rupture": n % 9 == 0,
                    "dropping": n % 4 == 0,
                    "first_dip": False,
                    "gap": None,
                    "completed_hours_ago": n * 7,
                    "discussed": n % 3 == 0,
                    "discussed_latest": n % 6 == 0,
                    "change": 1.5,
                    "session_days_ago": n % 20,
                },
                # A tenth waiting for the client.
                [Link(1, 24 * 7, "open")] if n % 10 == 0 else [],
            )
            for n in range(start, end)
        ]

    with time_machine.travel(NOW):
        make_caseload(therapist_a1, therapist_a2, discussion, clients(0, 40))
        browser = client_for(therapist_a1)
        browser.get(CASELOAD)  # the session's first write
        small = pinned(browser)
        make_caseload(therapist_a1, therapist_a2, discussion, clients(40, 200), strangers=False)
        big = pinned(browser)
        page = browser.get(CASELOAD).content.decode()
    assert "200 active clients" in page
    assert page.count('class="caseload-row') == 50
    # Built afresh: session, user, the second factor's device, the clinic; the flags and
    # sort keys of every client, the rows shown, the open links; the audit line. From
    # the cache: the same without the page's three reads.
    assert small == big == (8, 5)


def test_a_colleagues_client_made_for_the_other_caseload_changes_nothing_here(
    therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    # Any write retires every entry (one data version for all): correct, only slower.
    browser = client_for(therapist_a1)
    before = cached(browser)
    make_client(therapist_a1.clinic, "A-900", therapist_a2)
    assert fresh(browser) == before
