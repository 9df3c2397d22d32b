"""`make run` shows live dashboards: the demo clinic comes with questionnaire histories
that look like a real caseload - one open rupture, one repaired rupture, one first dip,
one pair of client and therapist views apart, and at most a quarter flagged."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from assessments.alliance.analysis import client_chart_series
from assessments.models import AllianceSummary, Answer, Rater, Response
from clinicians.models import Patient, Role, User
from tests.conftest import client_for
from tests.dashboards.old_caseload import caseload_rows

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_has_histories_flags_and_waiting_links_and_a_rerun_adds_nothing() -> None:
    call_command("seed_demo", stdout=StringIO())
    responses = Response.objects.count()
    assert responses > 100
    answers = Answer.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Response.objects.count() == responses
    assert Answer.objects.count() == answers
    rivera = User.objects.get(email="rivera@demo.alliance.test")
    page = client_for(rivera).get("/caseload/").content.decode()
    assert "Possible rupture" in page
    assert "Waiting for the client" in page


def test_the_demo_caseload_tells_each_story_once_and_flags_at_most_a_quarter() -> None:
    call_command("seed_demo", stdout=StringIO())
    rows = [
        row
        for therapist in User.objects.filter(role=Role.THERAPIST)
        for row in caseload_rows(therapist)
    ]
    assert len(rows) == 40
    with_flag = {row.patient.code: row.flag_codes for row in rows if row.flags}
    assert len(with_flag) <= len(rows) // 4
    assert [c for c, f in with_flag.items() if "rupture" in f] == ["D-001"]
    assert [c for c, f in with_flag.items() if "first_dip" in f] == ["D-006"]
    assert [c for c, f in with_flag.items() if "gap" in f] == ["D-004"]
    assert not any("dropping" in f for f in with_flag.values())
    # The first dip names the items a step lower.
    dip = AllianceSummary.objects.get(patient__code="D-006").flag_details["first_dip"]
    assert dip["dropped_items"] == [2, 6, 9]
    # The repaired rupture is on its chart, not on the caseload.
    repaired = [
        p.code
        for p in Patient.objects.order_by("code")
        for _, f in client_chart_series(p)[1]
        if f.repaired
    ]
    assert repaired == ["D-002"]
    # The different views are on the forms built to pair.
    forms = set(
        Response.objects.filter(administration__patient__code="D-004").values_list(
            "administration__form_code", "administration__rater"
        )
    )
    assert forms == {("wai-s-client", Rater.CLIENT), ("wai-s-therapist", Rater.THERAPIST)}
    # The change of form starts a new baseline on D-005's chart, without a flag.
    switch = client_chart_series(Patient.objects.get(code="D-005"))[1]
    assert [f.new_baseline for _, f in switch].count(True) == 1
    assert not any(f.kinds() for _, f in switch)
