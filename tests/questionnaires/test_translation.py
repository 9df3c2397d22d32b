"""A licensed translation in the clinic's folder is used for clients who prefer it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessments.questionnaires.links import IssuedLink
from assessments.scoring.registry import configure_registry, reset_registry

from .fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

# Placeholder wording made up for the test: it stands for a licensed translation.
ITEMS = {str(n): f"Testsatz {n} über {{therapist}}." for n in range(1, 13)}
LABELS = {"1": "Selten", "2": "Manchmal", "3": "Ziemlich oft", "4": "Sehr oft", "5": "Immer"}


@pytest.fixture
def german(tmp_path: Path) -> Iterator[None]:
    overlay = {
        "code": "wai-sr-client",
        "translations": {
            "de": {
                "licence": "test only",
                "instructions": "Bitte wählen Sie für jeden Satz, wie oft er zutrifft.",
                "scale_labels": LABELS,
                "therapist_fallback": "meine Therapeutin",
                "items": ITEMS,
            }
        },
    }
    (tmp_path / "wai-sr-de.json").write_text(json.dumps(overlay), encoding="utf-8")
    configure_registry(tmp_path)
    yield
    reset_registry()


def test_a_client_who_prefers_german_gets_the_german_items(
    german: None, issued: IssuedLink
) -> None:
    patient = issued.administration.patient
    patient.preferred_language = "de-AT"  # falls back to "de"
    patient.save()
    browser = open_questionnaire(issued.token)
    page = browser.get("/q/").content.decode()
    assert '<html lang="de" dir="ltr">' in page
    assert "Testsatz 3 über Tess Therapist." in page
    assert "Sehr oft" in page
    assert "Bitte wählen Sie" in page
    assert "I believe Tess Therapist likes me." not in page
    # The answers are scored the same way whatever the language.
    assert post_answers(browser, all_answers(12, 4)).status_code == 302


def test_a_client_without_a_matching_translation_gets_english(
    german: None, issued: IssuedLink
) -> None:
    page = open_questionnaire(issued.token).get("/q/").content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "I believe Tess Therapist likes me." in page
