"""The caseload page's reads in SQL (assessments/alliance/caseload.py) against the
Python reads they replace (`dashboards.caseload_rows` and `filter_and_sort`), which stay
as the reference: over generated caseloads, every filter and every sort lists the same
clients in the same order, with the same flags, words and "discussed" marks."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.alliance.caseload import PAGE_SIZE, caseload_page
from assessments.alliance.dashboards import FLAG_CODES, SORTS
from assessments.alliance.low import LOWEST_DECILE, LowRule
from assessments.models import (
    AdministrationStatus,
    FlagDiscussion,
)
from clinicians.models import Clinic, User
from tests.dashboards.old_caseload import caseload_rows, filter_and_sort

from .caseloads import NOW, Client, Link, make_caseload

pytestmark = pytest.mark.django_db

FILTERS = ("", "any", "discussed", *FLAG_CODES)
FORMS = ("wai-sr-client", "wai-s-client")
ZONES = ("UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland")


# Hours ago around one another, so that a link made on the day of the last questionnaire
# (before or after it) is common: the overdue rule compares calendar days.
NEAR = st.sampled_from([2, 28, 29, 30, 31, 32, 99, 101])
# Boundaries on purpose: the threshold, the cutoffs and the gap threshold (20) exactly.
pomps = st.one_of(st.none(), st.sampled_from([0.0, 25.0, 50.0, 59.9, 60.0, 75.0, 100.0]))
gaps = st.one_of(st.none(), st.sampled_from([-35.0, -20.0, -19.9, 0.0, 19.9, 20.0, 41.0]))
summaries = st.fixed_dictionaries(
    {
        "total_pomp": pomps,
        "form_code": st.sampled_from(FORMS),
        "rupture": st.booleans(),
        "dropping": st.booleans(),
        "first_dip": st.booleans(),
        "gap": gaps,
        "completed_hours_ago": st.one_of(st.none(), NEAR, st.integers(0, 24 * 60)),
        "discussed": st.booleans(),
        "discussed_latest": st.booleans(),
        "change": st.one_of(st.none(), st.sampled_from([-12.5, 0.0, 3.0, 12.5])),
        "session_days_ago": st.one_of(st.none(), st.integers(0, 60)),
    }
)
links = st.builds(
    Link,
    created_hours_ago=st.one_of(NEAR, st.integers(0, 24 * 50)),
    lasts_hours=st.one_of(st.sampled_from([1, 3, 24]), st.integers(1, 24 * 10)),
    status=st.sampled_from([AdministrationStatus.OPEN] * 3 + [AdministrationStatus.COMPLETED]),
)
codes = st.text(alphabet="aAbBzZ019-_ éÉ", min_size=1, max_size=6)
clients = st.lists(
    st.builds(
        Client,
        code=codes,
        active_days=st.integers(0, 60),
        summary=st.one_of(st.none(), summaries),
        links=st.lists(links, max_size=3),
    ),
    max_size=10,
    unique_by=lambda c: c.code.lower(),
)
rules = st.one_of(
    st.builds(LowRule, st.sampled_from([50.0, 60.0])),
    st.builds(
        LowRule,
        st.just(60.0),
        st.just(LOWEST_DECILE),
        st.fixed_dictionaries(
            {}, optional={f: st.sampled_from([(25.0, 40), (59.9, 31)]) for f in FORMS}
        ),
    ),
)


def flag_words(flags: list) -> list[tuple[str, str, str]]:
    return [(f.code, f.label, f.title) for f in flags]


def assert_same_pages(therapist: User, low: LowRule) -> None:
    everyone = caseload_rows(therapist, low=low)
    for flag in FILTERS:
        for sort in SORTS:
            old = filter_and_sort(list(everyone), flag=flag, sort=sort)
            new = caseload_page(therapist, low=low, flag=flag, sort=sort, now=timezone.now())
            assert new.total == len(old), (flag, sort)
            shown = new.page.object_list
            assert [r.pk for r in shown] == [r.patient.pk for r in old[:PAGE_SIZE]], (flag, sort)
            for mine, theirs in zip(shown, old, strict=False):
                assert flag_words(mine.flags) == flag_words(theirs.flags), mine.code
                assert mine.discussed == theirs.discussed
                assert mine.waiting == (theirs.waiting is not None)
                assert (mine.discussion is not None) == (theirs.discussion is not None)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=clients, low=rules, zone=st.sampled_from(ZONES), overdue=st.integers(1, 30))
def test_every_filter_and_sort_lists_the_same_clients_as_the_python_reads(
    therapist_a1: User,
    therapist_a2: User,
    discussion: FlagDiscussion,
    generated: list[Client],
    low: LowRule,
    zone: str,
    overdue: int,
) -> None:
    saved = transaction.savepoint()
    try:
        Clinic.objects.filter(pk=therapist_a1.clinic_id).update(
            time_zone=zone, overdue_days=overdue
        )
        therapist = User.objects.select_related("clinic").get(pk=therapist_a1.pk)
        make_caseload(therapist, therapist_a2, discussion, generated)
        with time_machine.travel(NOW, tick=False):
            assert_same_pages(therapist, low)
    finally:
        transaction.savepoint_rollback(saved)


def test_pages_beyond_the_first_and_out_of_range(
    therapist_a1: User, therapist_a2: User, discussion: FlagDiscussion
) -> None:
    generated = [
        Client(f"P-{n:03d}", n % 40, {**_summary(n)} if n % 3 else None, []) for n in range(120)
    ]
    make_caseload(therapist_a1, therapist_a2, discussion, generated)
    low = LowRule(60.0)
    with time_machine.travel(NOW, tick=False):
        old = filter_and_sort(caseload_rows(therapist_a1, low=low), flag="", sort="total")
        for asked, first in (("2", 50), ("3", 100), ("99", 100), ("zz", 0), ("-1", 100)):
            new = caseload_page(therapist_a1, low=low, sort="total", page=asked)
            expected = [r.patient.pk for r in old[first : first + PAGE_SIZE]]
            assert [r.pk for r in new.page.object_list] == expected, asked


def _summary(n: int) -> dict[str, object]:
    return {
        "total_pomp": float(n % 101),
        "form_code": "wai-sr-client",
        "rupture": n % 7 == 0,
        "dropping": n % 5 == 0,
        "first_dip": False,
        "gap": None,
        "completed_hours_ago": n * 11,
        "discussed": n % 4 == 0,
        "discussed_latest": n % 8 == 0,
        "change": None,
        "session_days_ago": n % 30,
    }


def test_the_waiting_list_and_the_moment_the_page_goes_stale(
    therapist_a1: User, therapist_a2: User, discussion: FlagDiscussion
) -> None:
    generated = [
        # Two open links: the newer one is listed, the older one expires first.
        Client("W-1", 3, None, [Link(48, 100, "open"), Link(2, 24 * 7, "open")]),
        Client("W-2", 3, None, [Link(10, 24 * 3, "open")]),
        Client("W-3", 3, None, [Link(24 * 9, 24 * 7, "open")]),  # expired: not waiting
        Client("W-4", 3, None, [Link(1, 24 * 2, "completed")]),
    ]
    make_caseload(therapist_a1, therapist_a2, discussion, generated)
    with time_machine.travel(NOW, tick=False):
        page = caseload_page(therapist_a1, low=LowRule(60.0))
    assert [(w.code, w.expires_at) for w in page.waiting] == [
        ("W-2", NOW + timedelta(hours=62)),
        ("W-1", NOW + timedelta(hours=24 * 7 - 2)),
    ]
    assert page.until == NOW + timedelta(hours=52)  # W-1's older link
    rows = {r.code: r for r in page.page.object_list}
    assert rows["W-1"].waiting and rows["W-2"].waiting
    assert not rows["W-3"].waiting and not rows["W-4"].waiting
    assert "overdue" in {f.code for f in rows["W-3"].flags}
