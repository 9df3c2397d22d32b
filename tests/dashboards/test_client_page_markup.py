"""The client page's two long tables, built in Python (assessments/views/client_tables.py),
give exactly the markup their template loops gave: compared character for character with
those loops (kept in tests/dashboards/reference/) on a history with every kind of row,
in each interface language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Prefetch
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from assessments.alliance.history import client_history
from assessments.models import (
    Administration,
    AdministrationStatus,
    OccasionKind,
    Rater,
    Response,
)
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.selectors import client_questionnaires
from assessments.questionnaires.submissions import staff_entry_submit
from assessments.scoring.registry import get_registry
from assessments.views.client_tables import history_rows, questionnaire_rows
from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "reference"


def reference(name: str, context: dict) -> str:
    template = engines["django"].from_string((REFERENCE / name).read_text().rstrip("\n"))
    return template.render(context)


def enter(actor: User, patient: Patient, n: int, value: int, form: str, rater: str) -> None:
    day = timezone.localdate() - timedelta(days=7 * (20 - n))
    staff_entry_submit(
        actor=actor,
        patient=patient,
        form_code=form,
        rater=rater,
        occasion=Occasion(OccasionKind.SESSION, n, "", day),
        answers={i: value for i in range(1, 13)},
    )


@pytest.fixture
def every_kind_of_row(therapist_a1: User, client_a1: Patient) -> Patient:
    """Top scores and a first dip, a rupture (marked, then repaired), a fall, low
    totals, a change of form (a new baseline), the therapist's ratings on a paired and
    an unpaired form, a discussion with a note, and questionnaires in every state."""
    for n, value in enumerate([5, 5, 5, 4, 4, 4, 4, 2, 4, 3, 2], start=1):
        enter(therapist_a1, client_a1, n, value, "wai-sr-client", Rater.CLIENT)
    enter(therapist_a1, client_a1, 3, 6, "wai-s-therapist", Rater.THERAPIST)  # unpaired
    for n, value in ((12, 6), (13, 6), (14, 2)):
        enter(therapist_a1, client_a1, n, value, "wai-s-client", Rater.CLIENT)
    enter(therapist_a1, client_a1, 13, 7, "wai-s-therapist", Rater.THERAPIST)  # paired
    latest = Administration.objects.filter(patient=client_a1, rater=Rater.CLIENT).latest(
        "session_date"
    )
    client_for(therapist_a1).post(
        reverse("assessments:flags_discussed", args=[client_a1.pk]),
        {"administration": latest.pk, "note": "First line\n<b>second</b> & 'third'"},
    )
    enter(therapist_a1, client_a1, 15, 1, "wai-s-client", Rater.CLIENT)  # a new flag since
    # An "other" occasion whose note needs escaping, in each state a link can be in.
    for note in ("<script>x</script>", "Tom & Jerry's", "withdrawn"):
        administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=Occasion(OccasionKind.OTHER, None, note, timezone.localdate()),
        )
    Administration.objects.filter(occasion_note="Tom & Jerry's").update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    Administration.objects.filter(occasion_note="withdrawn").update(
        status=AdministrationStatus.REVOKED, form_code="a-retired-form"
    )
    return client_a1


def test_the_history_has_every_kind_of_row(every_kind_of_row: Patient, clinic_a) -> None:
    history = client_history(every_kind_of_row, clinic_a)
    html = history_rows(history.rows)
    for needed in (
        "Repaired rupture",
        "Possible rupture</strong> (marked)",
        "First dip",
        "flag-note-low",
        "New form: a new baseline",
        "#unpaired-note",
        "gap ▲",
        "Discussed on",
        "First line<br>&lt;b&gt;second&lt;/b&gt; &amp; &#x27;third&#x27;",
        "Not marked as discussed.",
        "RC</abbr>",
    ):
        assert needed in html, needed


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_the_scores_rows_are_the_templates_rows(
    every_kind_of_row: Patient, clinic_a, language: str
) -> None:
    with translation.override(language):
        history = client_history(every_kind_of_row, clinic_a)
        expected = reference("client_history_rows.html", {"history": history})
        assert history_rows(history.rows) == expected


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_the_questionnaire_rows_are_the_templates_rows(
    every_kind_of_row: Patient, language: str
) -> None:
    # What the page read before: model objects with their current response.
    current = Response.objects.filter(is_current=True)
    administrations = list(
        Administration.objects.filter(patient=every_kind_of_row)
        .prefetch_related(Prefetch("responses", queryset=current, to_attr="current_responses"))
        .order_by("-session_date", "-created_at")
    )
    states = {a.state for a in administrations}
    assert states == {"completed", "open", "expired", "revoked"}
    registry = get_registry()
    with translation.override(language):
        expected = reference(
            "client_questionnaire_rows.html",
            {"administrations": administrations, "registry": registry},
        )
        rows = client_questionnaires(every_kind_of_row)
        assert [r.pk for r in rows] == [a.pk for a in administrations]
        assert questionnaire_rows(rows, registry) == expected
    assert "&lt;script&gt;" in expected and "Tom &amp; Jerry&#x27;s" in expected
    assert "a-retired-form" in expected
