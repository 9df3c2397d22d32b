"""`make run` shows live dashboards: the demo clinic comes with questionnaire histories."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from assessments.models import AllianceSummary, Answer, Response
from clinicians.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_has_histories_flags_and_waiting_links_and_a_rerun_adds_nothing() -> None:
    call_command("seed_demo", stdout=StringIO())
    responses = Response.objects.count()
    assert responses > 100
    assert AllianceSummary.objects.filter(rupture=True).exists()
    assert AllianceSummary.objects.filter(total_pomp__lt=60).exists()
    answers = Answer.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Response.objects.count() == responses
    assert Answer.objects.count() == answers
    rivera = User.objects.get(email="rivera@demo.alliance.test")
    page = client_for(rivera).get("/caseload/").content.decode()
    assert "Possible rupture" in page
    assert "Waiting for the client" in page
