"""Words on the staff pages that a new user reads: a mean always shows the scale it is
on, the exports page speaks of sessions rather than commands, and no table header is
blank."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from assessments.models import OccasionKind, Rater
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from assessments.scoring.registry import get_registry
from assessments.templatetags.alliance import form_scale
from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def submit(actor: User, patient: Patient, form: str, rater: str, value: int) -> None:
    staff_entry_submit(
        actor=actor,
        patient=patient,
        form_code=form,
        rater=rater,
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
        answers={i: value for i in range(1, get_registry().get(form).item_count + 1)},
    )


def test_each_questionnaire_mean_is_shown_on_its_own_forms_scale(
    therapist_a1: User, client_a1: Patient
) -> None:
    submit(therapist_a1, client_a1, "wai-sr-client", Rater.CLIENT, 4)
    submit(therapist_a1, client_a1, "wai-s-therapist", Rater.THERAPIST, 6)
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    table = page[page.index('id="questionnaires-table"') :]
    table = table[: table.index("</table>")]
    assert "Total (mean)" not in page
    rows = {
        form: row
        for row in table.split("<tr>")[2:]
        for form in ("WAI-SR client", "WAI-S therapist")
        if f"<td>{form}</td>" in row
    }
    assert "4.00 <span" in rows["WAI-SR client"] and "on 1–5" in rows["WAI-SR client"]
    assert "on 1–7" in rows["WAI-S therapist"] and "on 1–5" not in rows["WAI-S therapist"]
    # Every column has a visible header, including the one with the links.
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)
    assert headers and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers)
    assert "visually-hidden" not in "".join(headers)


def test_the_scale_of_a_form_that_is_no_longer_loaded_is_left_blank() -> None:
    registry = get_registry()
    assert form_scale(registry, "wai-sr-client") == "1–5"
    assert form_scale(registry, "wai-s-therapist") == "1–7"
    assert form_scale(registry, "no-such-form") == ""


def test_the_exports_page_names_the_therapist_of_the_sessions_and_no_command(
    admin_a: User,
) -> None:
    page = client_for(admin_a).get("/exports/").content.decode()
    assert "Therapist of the sessions" in page
    assert "whether the client or the therapist filled them in" in page
    assert "Therapist rated" not in page and "manage.py" not in page


def test_the_scores_table_of_a_questionnaire_has_no_empty_header(
    therapist_a1: User, client_a1: Patient
) -> None:
    submit(therapist_a1, client_a1, "wai-sr-client", Rater.CLIENT, 4)
    administration = client_a1.administrations.get()
    page = client_for(therapist_a1).get(f"/questionnaires/{administration.pk}/").content.decode()
    assert '<th scope="col"></th>' not in page
    assert '<th scope="col">Score</th>' in page
