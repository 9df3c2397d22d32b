"""The clinic overview is served from the shared page cache (the suite runs with it on):
every change shows on the very next view, no clinic or language sees another's part,
and a view costs the same number of queries whatever the clinic's size, cached or not."""

from __future__ import annotations

import re
import statistics
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_site import freshness
from assessments.alliance.loadgen import make_load
from assessments.alliance.marking import flags_discuss
from assessments.alliance.overview import clinic_overview, overview_valid_until
from assessments.models import Administration, Channel, OccasionKind
from assessments.questionnaires.links import (
    Occasion,
    administration_new_link,
    administration_request,
)
from assessments.questionnaires.submissions import response_submit
from clinicians.models import Patient, User
from clinicians.services import case_assign, therapist_deactivate
from tests.conftest import client_for, make_client

from .test_caseload import rate

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("assessments:clinic_alliance")
ANSWERS = {i: 4 for i in range(1, 13)}


def therapist_row(page: str, name: str) -> list[str]:
    """The cells of a therapist's row in the table by therapist."""
    row = re.search(rf'<th scope="row">{name}</th>(.*?)</tr>', page, re.S)
    assert row is not None, f"no row for {name}"
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def flagged_row(page: str, code: str) -> str:
    row = re.search(rf">{code}</a></th>(.*?)</tr>", page, re.S)
    assert row is not None, f"{code} is not in the flagged table"
    return row[1]


def ask(actor: User, patient: Patient, n: int) -> Administration:
    return administration_request(
        actor=actor,
        patient=patient,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, n, "", timezone.localdate()),
    ).administration


def test_a_link_and_a_submission_show_on_the_next_view(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(admin_a)
    view = lambda: browser.get(OVERVIEW).content.decode()  # noqa: E731
    # Active clients, sent, completed, completion.
    assert therapist_row(view(), "Tess Therapist")[:4] == ["1", "0", "0", "—"]
    asked = ask(therapist_a1, client_a1, 1)
    assert therapist_row(view(), "Tess Therapist")[:4] == ["1", "1", "0", "0%"]
    administration_new_link(actor=therapist_a1, administration=asked)  # not sent again
    assert therapist_row(view(), "Tess Therapist")[:4] == ["1", "1", "0", "0%"]
    response_submit(administration_id=asked.pk, answers=ANSWERS, channel=Channel.LINK)
    assert therapist_row(view(), "Tess Therapist")[:4] == ["1", "1", "1", "100%"]


def test_a_discussion_and_a_new_therapist_show_on_the_next_view(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [5, 5, 1])  # a rupture: flagged
    asked = ask(therapist_a1, client_a1, 4)
    response_submit(
        administration_id=asked.pk, answers={i: 1 for i in range(1, 13)}, channel=Channel.LINK
    )
    browser = client_for(admin_a)
    row = flagged_row(browser.get(OVERVIEW).content.decode(), "A-001")
    assert "Tess Therapist" in row and "Not yet" in row
    flags_discuss(
        actor=therapist_a1,
        patient=client_a1,
        administration_id=asked.pk,
        flags=["low", "rupture", "dropping", "first_dip", "gap"],
    )
    row = flagged_row(browser.get(OVERVIEW).content.decode(), "A-001")
    assert "Not yet" not in row and "by Tess Therapist" in row
    case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a2)
    page = browser.get(OVERVIEW).content.decode()
    assert "Theo Therapist" in flagged_row(page, "A-001")
    assert therapist_row(page, "Tess Therapist")[0] == "0"  # active clients
    assert therapist_row(page, "Theo Therapist")[0] == "1"
    # What Tess sent stays hers after the transfer.
    assert therapist_row(page, "Tess Therapist")[1:3] == ["1", "1"]
    therapist_deactivate(actor=admin_a, therapist=therapist_a1)
    page = browser.get(OVERVIEW).content.decode()
    assert '<th scope="row">Tess Therapist</th>' not in page  # no longer in the table


def test_another_clinics_admin_never_gets_the_cached_part(
    admin_a: User, admin_b: User, client_a1: Patient, therapist_a1: User
) -> None:
    assert "Tess Therapist" in client_for(admin_a).get(OVERVIEW).content.decode()
    page = client_for(admin_b).get(OVERVIEW).content.decode()
    assert "Tess" not in page and "A-001" not in page
    assert "No active therapists." in page


def test_each_language_gets_its_own_part(admin_a: User, therapist_a1: User) -> None:
    browser = client_for(admin_a)
    assert "By therapist" in browser.get(OVERVIEW).content.decode()
    User.objects.filter(pk=admin_a.pk).update(language="de")
    german = browser.get(OVERVIEW).content.decode()
    assert "By therapist" not in german and "Nach Therapeut:in" in german
    User.objects.filter(pk=admin_a.pk).update(language="en")
    assert "By therapist" in browser.get(OVERVIEW).content.decode()


def test_query_string_and_page_are_part_of_the_key(admin_a: User, therapist_a1: User) -> None:
    browser = client_for(admin_a)
    default = browser.get(OVERVIEW).content.decode()
    other = browser.get(OVERVIEW + "?start=2020-01-01&end=2020-01-31").content.decode()
    assert 'value="2020-01-01"' in other and 'value="2020-01-01"' not in default
    again = browser.get(OVERVIEW + "?stale=1").content.decode()
    assert 'id="stale" name="stale" value="1" checked' in again


def test_the_part_lives_until_the_next_link_expires_or_midnight(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    clinic = admin_a.clinic
    today, now = clinic.today(), timezone.now()
    midnight = overview_valid_until(clinic, today, now)
    assert midnight > now and timezone.localtime(midnight, clinic.zone).hour == 0
    asked = ask(therapist_a1, client_a1, 1)
    soon = now + timedelta(minutes=3)
    Administration.objects.filter(pk=asked.pk).update(expires_at=soon)
    assert overview_valid_until(clinic, today, now) == soon


def test_the_middle_half_is_the_quartiles_of_the_latest_totals(
    admin_a: User, therapist_a1: User
) -> None:
    values = [1, 2, 2, 3, 4, 5, 5]
    for n, v in enumerate(values):
        rate(therapist_a1, make_client(admin_a.clinic, f"Q-{n}", therapist_a1), [v])
    pomps = [(v - 1) * 25.0 for v in values]
    today = timezone.localdate()
    stats = clinic_overview(admin_a, start=today, end=today).stats
    tess = next(s for s in stats if s.therapist == therapist_a1)
    q1, _, q3 = statistics.quantiles(pomps, n=4, method="inclusive")
    assert tess.median == pytest.approx(statistics.median(pomps))
    assert tess.spread == pytest.approx((q1, q3))
    assert tess.active_clients == len(values) and tess.scored == len(values)


def test_the_overview_runs_the_same_queries_for_300_or_600_clients_cached_or_not(
    admin_a: User, django_assert_num_queries, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    make_load(clinic=admin_a.clinic, therapists=3, clients=300, questionnaires=4, prefix="S")
    browser = client_for(admin_a)
    browser.get(OVERVIEW)
    # A miss, 16: session, user, second factor, clinic; therapists, their caseloads
    # (one grouped row each), the kept sent counts; the flagged count, the page's ids,
    # its rows, their open questionnaires and therapists; the overdue list with its
    # total; the failed schedules; the next link expiry; the audit line.
    freshness.bump()
    with django_assert_max_num_queries(16) as miss:
        browser.get(OVERVIEW)
    # A hit, 5: session, user, second factor, clinic, the audit line.
    with django_assert_max_num_queries(5) as hit:
        browser.get(OVERVIEW)
    make_load(clinic=admin_a.clinic, therapists=3, clients=300, questionnaires=4, prefix="T")
    with django_assert_num_queries(len(miss.captured_queries)):
        response = browser.get(OVERVIEW)  # the load above changed the data: a miss
    assert response.status_code == 200
    with django_assert_num_queries(len(hit.captured_queries)):
        assert browser.get(OVERVIEW).status_code == 200


def test_any_page_number_shows_a_page(admin_a: User) -> None:
    make_load(clinic=admin_a.clinic, therapists=2, clients=200, questionnaires=4, prefix="P")
    browser = client_for(admin_a)
    first = browser.get(OVERVIEW + "?page=abc").content.decode()
    pages = re.search(r"Page 1 of (\d+)", first)
    assert pages is not None and int(pages[1]) >= 2
    last = f"Page {pages[1]} of {pages[1]}"
    for number in (pages[1], "999", "9" * 30, "-1"):
        response = browser.get(OVERVIEW + f"?page={number}")
        assert response.status_code == 200
        expected = "Page 1 of" if number == "-1" else last
        assert expected in response.content.decode(), number
