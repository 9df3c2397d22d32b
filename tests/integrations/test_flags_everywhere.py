"""One analysis everywhere: the caseload summary, the chart, the export and the API show
the same flags for the same questionnaire, on a long history (40 questionnaires)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assessments.alliance.analysis import client_chart_series
from assessments.models import AllianceSummary, Rater
from clinicians.models import Patient, User
from tests.conftest import client_for

from .conftest import paper, session
from .helpers import csv_rows, post_export
from .test_api import call, make_key

pytestmark = pytest.mark.django_db


def sr_all(value: int) -> dict[int, int | None]:
    return {i: value for i in range(1, 13)}


def test_a_forty_questionnaire_series_carries_the_same_flags_on_every_surface(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    # A fall early on (session 5, before the last 30), steady since, a fall at the end.
    levels = [4, 4, 4, 4, 2, *([4] * 34), 2]
    start = date(2025, 1, 6)
    for n, value in enumerate(levels, start=1):
        paper(therapist_a1, client_a1, sr_all(value), session(n, start + timedelta(days=7 * n)))
    _, points = client_chart_series(client_a1)
    chart = {p.administration_id: f.kinds() for p, f in points}
    assert len(chart) == 40
    flagged = {a: k for a, k in chart.items() if k}
    first, last = points[4][0].administration_id, points[-1][0].administration_id
    assert set(flagged) == {first, last}
    assert flagged[last] == ("rupture",)
    assert points[4][1].repaired  # back to 75 at the next questionnaire

    summary = AllianceSummary.objects.get(patient=client_a1)
    assert summary.rupture
    assert summary.flag_details["rupture"]["response_id"] == points[-1][0].response_id
    assert summary.flag_details["rupture"]["kinds"] == ["rupture"]

    rows = csv_rows(post_export(client_for(admin_a)))
    exported = {int(r["questionnaire_id"]): r["flags"] for r in rows if r["rater"] == "client"}
    assert exported == {a: ";".join(k) for a, k in chart.items()}

    key = make_key(admin_a)
    api = call(key, "/api/v1/questionnaires", page_size=100).json()["items"]
    from_api = {q["id"]: tuple(f["code"] for f in q["flags"]) for q in api}
    assert from_api == chart
    one = call(key, f"/api/v1/questionnaires/{last}").json()
    assert one["flags"][0]["code"] == "rupture"
    assert one["flags"][0]["details"]["drop"] == pytest.approx(50.0)
    assert one["flags"][0]["details"]["norms_clients"] == 0

    page = client_for(therapist_a1).get("/caseload/").content.decode()
    assert "Possible rupture" in page


def test_a_therapists_rating_and_a_change_of_form_carry_no_flag(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    paper(therapist_a1, client_a1, sr_all(4), session(1))  # WAI-SR 75
    paper(therapist_a1, client_a1, sr_all(5), session(2), "wai-s-client")  # WAI-S 61.1
    paper(therapist_a1, client_a1, sr_all(1), session(2), "wai-s-therapist", Rater.THERAPIST)
    summary = AllianceSummary.objects.get(patient=client_a1)
    assert (summary.rupture, summary.dropping, summary.first_dip) == (False, False, False)
    assert summary.change is None
    rows = csv_rows(post_export(client_for(admin_a)))
    assert [r["flags"] for r in rows] == ["", "", ""]
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    assert 'class="form-break"' in page
    assert "New form: a new baseline" in page
