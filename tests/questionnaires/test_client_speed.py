"""The client's questionnaire and its submission cost a fixed, small number of
statements whatever the client's history (issue 17), and the summary a submission
writes is the one a full recompute gives."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.alliance.summaries import refresh_alliance
from assessments.models import AllianceSummary, Channel, OccasionKind
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.submissions import response_submit
from clinicians.models import Patient, User
from tests.dashboards.test_caseload import rate

from .fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

_STATEMENT = re.compile(
    r'^(SELECT|INSERT(?: OR IGNORE)? INTO|UPDATE|DELETE FROM)\s.*?(?:FROM\s+)?"?(\w+)"?',
    re.IGNORECASE | re.DOTALL,
)


def statements(ctx: CaptureQueriesContext) -> list[str]:
    """Each statement as "VERB table" (the first table named), savepoints left out."""
    out = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if re.match(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", sql, re.IGNORECASE):
            continue
        match = _STATEMENT.match(sql.strip())
        assert match, sql
        verb = match.group(1).split()[0].upper()
        lock = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        out.append(f"{verb} {match.group(2)}{lock}")
    return out


def expected(names: list[str]) -> list[str]:
    # SQLite has no row locks: Django leaves FOR UPDATE out there.
    if connection.features.has_select_for_update:
        return names
    return [name.removesuffix(" FOR UPDATE") for name in names]


def ask(therapist: User, patient: Patient, session: int) -> str:
    issued = administration_request(
        actor=therapist,
        patient=patient,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, session, "", timezone.localdate()),
    )
    return issued.token


# The page: the session (database sessions in the tests) and the link with its
# questionnaire, client, clinic and therapist, in one query.
GET_STATEMENTS = ["SELECT django_session", "SELECT assessments_accesslink"]

# The first submission: the session, the link (as for the page), then one transaction:
# the questionnaire locked, the response and its answers (one INSERT each), the
# questionnaire completed, the clinic overview's kept count (one upsert), its links
# withdrawn, the client's summary (its row locked,
# the clinic's norms, the series, the discussions, the row written) and the audit line.
POST_STATEMENTS = [
    "SELECT django_session",
    "SELECT assessments_accesslink",
    "SELECT assessments_administration FOR UPDATE",
    "INSERT assessments_response",
    "INSERT assessments_answer",
    "UPDATE assessments_administration",
    "INSERT assessments_sentcount",
    "UPDATE assessments_accesslink",
    "SELECT assessments_formnorms",
    "SELECT assessments_alliancesummary FOR UPDATE",
    "SELECT assessments_response",
    "SELECT assessments_flagdiscussion",
    "UPDATE assessments_alliancesummary",
    "INSERT clinicians_auditevent",
]


@pytest.mark.parametrize("history", [1, 12])
def test_the_page_and_the_first_submission_cost_the_same_statements_whatever_the_history(
    therapist_a1: User, client_a1: Patient, history: int
) -> None:
    rate(therapist_a1, client_a1, [3] * history)  # the summary row exists, as it does
    browser = open_questionnaire(ask(therapist_a1, client_a1, history + 1))
    with CaptureQueriesContext(connection) as page:
        assert browser.get("/q/").status_code == 200
    assert statements(page) == GET_STATEMENTS
    with CaptureQueriesContext(connection) as submit:
        assert post_answers(browser, all_answers(value=3)).status_code == 302
    assert statements(submit) == expected(POST_STATEMENTS)
    if connection.vendor == "postgresql":
        # The lock covers the questionnaire's row only, not the client's or the
        # clinic's joined to it (which would queue every submission of the clinic).
        locking = next(q["sql"] for q in submit.captured_queries if "FOR UPDATE" in q["sql"])
        assert locking.endswith('FOR UPDATE OF "assessments_administration"')


def test_posting_again_reads_only_the_session_and_the_link(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = open_questionnaire(ask(therapist_a1, client_a1, 1))
    assert post_answers(browser, all_answers()).status_code == 302
    with CaptureQueriesContext(connection) as again:
        response = post_answers(browser, all_answers())
    assert "We already have your answers" in response.content.decode()
    assert statements(again) == GET_STATEMENTS


def test_with_sessions_in_the_shared_cache_the_page_reads_only_the_link(
    therapist_a1: User, client_a1: Patient, settings: Any
) -> None:
    # Production with REDIS_URL: cached_db sessions. Opening the link writes the session
    # to the database and the cache; the questionnaire then reads it from the cache.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    browser = open_questionnaire(ask(therapist_a1, client_a1, 1))
    with CaptureQueriesContext(connection) as page:
        assert browser.get("/q/").status_code == 200
    assert statements(page) == ["SELECT assessments_accesslink"]
    with CaptureQueriesContext(connection) as submit:
        assert post_answers(browser, all_answers()).status_code == 302
    assert statements(submit)[0] == "SELECT assessments_accesslink"
    assert "SELECT django_session" not in statements(submit)


def test_a_reshown_form_keeps_the_clients_answers_and_a_new_page_has_none(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = open_questionnaire(ask(therapist_a1, client_a1, 1))
    blank = browser.get("/q/").content.decode()
    assert " checked" not in blank
    data = all_answers(value=2)
    del data["item_4"]
    shown = post_answers(browser, data).content.decode()
    assert shown.count(" checked") == 11
    assert 'value="2" id="id_item_1_1" checked' in shown
    assert 'id="q-4-error"' in shown
    assert "Please choose an answer for this question." in shown
    # The next blank page is not the re-shown one, and the re-shown one not a blank one.
    again = browser.get("/q/").content.decode()
    assert " checked" not in again
    assert "wai-item-error" not in again


def test_two_languages_each_get_their_own_items(
    therapist_a1: User, client_a1: Patient, clinic_a: Any
) -> None:
    english = open_questionnaire(ask(therapist_a1, client_a1, 1)).get("/q/").content.decode()
    other = Patient.objects.create(clinic=clinic_a, code="A-ES", preferred_language="es")
    other.assignments.create(therapist=therapist_a1)
    spanish = open_questionnaire(ask(therapist_a1, other, 1)).get("/q/").content.decode()
    assert "¿Cómo va su terapia?" in spanish
    assert spanish.count('lang="en" dir="auto"') == 12  # English items on a Spanish page
    assert 'lang="en" dir="auto"' not in english
    assert "How is your therapy going?" in english


# --- the summary a submission writes --------------------------------------------------
SUMMARY_FIELDS = [
    f.attname for f in AllianceSummary._meta.concrete_fields if f.name not in ("id", "updated_at")
]


def summary_values(patient: Patient) -> dict[str, Any]:
    return dict(
        AllianceSummary.objects.filter(patient=patient).values(*SUMMARY_FIELDS).get().items()
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["wai-sr-client", "wai-s-client"]),
            st.lists(st.integers(1, 5), min_size=12, max_size=12),
        ),
        min_size=1,
        max_size=7,
    )
)
def test_the_summary_after_each_submission_is_a_full_recompute(
    therapist_a1: User, clinic_a: Any, series: list[tuple[str, list[int]]]
) -> None:
    patient = Patient.objects.create(clinic=clinic_a, code=f"P-{Patient.objects.count()}")
    patient.assignments.create(therapist=therapist_a1)
    start = timezone.localdate() - timedelta(days=7 * len(series))
    for n, (form, values) in enumerate(series, start=1):
        issued = administration_request(
            actor=therapist_a1,
            patient=patient,
            form_code=form,
            occasion=Occasion(OccasionKind.SESSION, n, "", start + timedelta(days=7 * n)),
        )
        result = response_submit(
            administration_id=issued.administration.pk,
            answers=dict(enumerate(values, start=1)),
            channel=Channel.LINK,
        )
        assert result.created
        written = summary_values(patient)
        refresh_alliance(patient_ids=[patient.pk])  # the nightly way: everything again
        assert written == summary_values(patient)
        assert written["latest_id"] == result.response.pk
