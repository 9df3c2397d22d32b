"""The caseload's rows written in Python (assessments/views/caseload_table.py) are the
markup the template loop wrote, byte for byte: the old loop (kept here as
caseload_rows_before.html) renders the rows of the Python reads, the new writer the
rows of the SQL reads, over clients with every kind of cell, in every language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.template import engines
from django.utils import timezone, translation

from assessments.alliance.caseload import caseload_page
from assessments.alliance.low import LowRule
from assessments.models import AllianceSummary, FlagDiscussion
from assessments.schedules.models import OccasionState, Schedule, ScheduledOccasion
from assessments.views.caseload_table import RowWriter
from clinicians.models import Clinic, Patient, User
from tests.dashboards.old_caseload import caseload_rows, filter_and_sort

from .caseloads import NOW, Client, Link, make_caseload

pytestmark = pytest.mark.django_db

BEFORE = Path(__file__).with_name("caseload_rows_before.html")


def a_bit_of_everything() -> list[Client]:
    def summary(**values: object) -> dict[str, object]:
        base: dict[str, object] = {
            "total_pomp": 75.0,
            "form_code": "wai-sr-client",
            "rupture": False,
            "dropping": False,
            "first_dip": False,
            "gap": None,
            "completed_hours_ago": 30,
            "discussed": False,
            "discussed_latest": False,
            "change": None,
            "session_days_ago": 2,
        }
        return {**base, **values}

    return [
        Client("A-none", 3, None, []),
        Client("A-waiting", 3, None, [Link(2, 100, "open")]),
        Client("A-old", 50, None, [Link(24 * 12, 24 * 7, "open")]),
        Client("B-<b>&'\"", 1, summary(change=12.5), []),
        Client("B-low", 1, summary(total_pomp=33.3, change=-12.5, rupture=True), []),
        Client("B-talked", 1, summary(total_pomp=40.0, rupture=True, discussed=True), []),
        Client("B-latest", 1, summary(total_pomp=40.0, discussed=True, discussed_latest=True), []),
        Client("B-gap", 1, summary(gap=-25.0, dropping=True, change=0.2, first_dip=True), []),
        Client("B-stale", 90, summary(completed_hours_ago=24 * 40, session_days_ago=40), []),
    ]


def dress_up(therapist: User) -> None:
    """What make_caseload leaves plain: names, norms, reliable change, the numbers
    behind flags, a schedule and a failed scheduled email."""
    patients = {p.code: p for p in Patient.objects.filter(clinic=therapist.clinic)}
    Patient.objects.filter(code="A-none").update(display_name="Ana <Nunez> & co")
    Patient.objects.filter(code="B-low").update(display_name="Bo")
    AllianceSummary.objects.filter(patient__code="B-low").update(
        change_reliable=True,
        norms_clients=1234,
        total_mean=3.456,
        goal_pomp=12.5,
        task_pomp=None,
        bond_pomp=99.5,
        trend=[50.0, 41.7, 33.3],
        occasion_label="Intake & <review>",
        flag_details={"rupture": {"drop": 41.7, "rci": -5.2, "reliable_threshold": 13.2}},
    )
    AllianceSummary.objects.filter(patient__code="B-gap").update(
        flag_details={
            "first_dip": {"dip": 8.3, "step": 2.1, "dropped_items": [3, 7], "norms_clients": 0},
            "dropping": {"drop": 20.0, "rci": -2.1, "compared_with": 3, "variation": 6.0},
        }
    )
    for code, failed in (("A-none", False), ("B-low", True)):
        schedule = Schedule.objects.create(
            clinic=therapist.clinic,
            patient=patients[code],
            form_code="wai-sr-client",
            starts_on=NOW.date(),
            next_due_at=NOW + timedelta(days=3, hours=5),
        )
        if failed:
            ScheduledOccasion.objects.create(
                schedule=schedule,
                due_at=NOW - timedelta(days=1),
                state=OccasionState.FAILED,
                administration=patients[code].administrations.create(
                    clinic=therapist.clinic,
                    therapist=therapist,
                    created_by=therapist,
                    form_code="wai-sr-client",
                    rater="client",
                    occasion="intake",
                    session_date=NOW.date(),
                    created_at=NOW - timedelta(hours=1),
                    expires_at=NOW + timedelta(days=5),
                ),
            )


@pytest.mark.parametrize("language", ["en", "de", "es"])
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Los_Angeles"])
def test_the_rows_are_the_templates_byte_for_byte(
    therapist_a1: User,
    therapist_a2: User,
    discussion: FlagDiscussion,
    language: str,
    zone: str,
) -> None:
    Clinic.objects.filter(pk=therapist_a1.clinic_id).update(time_zone=zone)
    therapist = User.objects.select_related("clinic").get(pk=therapist_a1.pk)
    discussion.discussed_by.display_name = "Dr <Who> & Co"
    discussion.discussed_by.save()
    make_caseload(therapist, therapist_a2, discussion, a_bit_of_everything())
    dress_up(therapist)
    low = LowRule(60.0)
    before = engines["django"].from_string(BEFORE.read_text())
    with (
        time_machine.travel(NOW, tick=False),
        translation.override(language),
        timezone.override(therapist.clinic.zone),
    ):
        old = filter_and_sort(caseload_rows(therapist, low=low), flag="", sort="code")
        new = caseload_page(therapist, low=low, sort="code").page.object_list
        expected = before.render({"rows": old})
        written = RowWriter().rows(new)
    assert written == expected
    # The cases above all came out (the comparison is not of two empty strings).
    for markup in (
        "Ana &lt;Nunez&gt; &amp; co",
        "B-&lt;b&gt;&amp;&#x27;&quot;",
        "Intake &amp; &lt;review&gt;",
        "Dr &lt;Who&gt; &amp; Co",
        "badge text-bg-danger",
        'class="sparkline"',
        "<abbr title=",
        "flag-discussed-label",
        "flag-overdue",
        "flag-gap",
        "flag-first_dip",
        "no-flags",
        "col-none",
    ):
        assert markup in written, markup
