from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from assessments.models import OccasionKind
from assessments.questionnaires.links import IssuedLink, Occasion, administration_request
from clinicians.models import Patient, User

SESSION_3 = Occasion(OccasionKind.SESSION, 3, "", date(2026, 11, 20))


@pytest.fixture
def issued(therapist_a1: User, client_a1: Patient) -> IssuedLink:
    """An open WAI-SR questionnaire for Tess's client, with its raw link token."""
    return administration_request(
        actor=therapist_a1, patient=client_a1, form_code="wai-sr-client", occasion=SESSION_3
    )


def all_answers(n: int = 12, value: int = 4) -> dict[str, str]:
    return {f"item_{i}": str(value) for i in range(1, n + 1)}


def open_questionnaire(token: str) -> Client:
    """A client's browser that has opened the link (and been moved off the token URL)."""
    browser = Client()
    response = browser.get(f"/q/{token}")
    assert response.status_code == 302
    assert response.url == "/q/"
    return browser


def post_answers(browser: Client, data: dict[str, str], form_code: str = "wai-sr-client"):
    return browser.post("/q/", {"form_code": form_code, **data})
