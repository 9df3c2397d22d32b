"""The client's pages and emails speak the client's preferred language.

The interface exists in English, German and Spanish; the items come only from the
built-in English forms or a clinic's licensed translation. When the clinic has no
translation in the client's language, the page says so and marks the items as English.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.questionnaires.reminders import administration_email
from assessments.scoring.registry import configure_registry, reset_registry
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import Patient, User

from .fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

ENGLISH_ITEM = "I believe Tess Therapist likes me."


def prefer(patient: Patient, language: str) -> None:
    patient.preferred_language = language
    patient.save(update_fields=["preferred_language"])


@pytest.fixture
def german_items(tmp_path: Path) -> Iterator[None]:
    # Invented wording standing in for a clinic's licensed translation.
    overlay = {
        "code": "wai-sr-client",
        "translations": {
            "de": {
                "licence": "test only",
                "scale_labels": {str(n): f"Stufe {n}" for n in range(1, 6)},
                "items": {str(n): f"Testsatz {n} über {{therapist}}." for n in range(1, 13)},
            }
        },
    }
    (tmp_path / "wai-sr-de.json").write_text(json.dumps(overlay), encoding="utf-8")
    configure_registry(tmp_path)
    yield
    reset_registry()


def test_a_spanish_client_reads_the_page_in_spanish_and_is_told_the_items_are_english(
    issued: IssuedLink,
) -> None:
    prefer(issued.administration.patient, "es")
    page = open_questionnaire(issued.token).get("/q/")
    html = page.content.decode()
    assert page["Content-Language"] == "es"
    assert '<html lang="es" dir="ltr">' in html
    assert "¿Cómo va su terapia?" in html
    assert "Enviar mis respuestas" in html
    assert "How is your therapy going?" not in html
    # Said in Spanish, and the English items are marked as English for screen readers.
    assert "Su clínica todavía no tiene estas preguntas en su idioma" in html
    assert ENGLISH_ITEM in html
    assert html.count('class="wai-item" id="q-') == 12
    assert html.count('lang="en"') == 12


def test_a_german_client_with_the_clinics_german_items_sees_no_mixture(
    german_items: None, issued: IssuedLink
) -> None:
    prefer(issued.administration.patient, "de")
    html = open_questionnaire(issued.token).get("/q/").content.decode()
    assert '<html lang="de" dir="ltr">' in html
    assert "Wie läuft Ihre Therapie?" in html
    assert "Testsatz 3 über Tess Therapist." in html
    assert ENGLISH_ITEM not in html
    assert "noch nicht in Ihrer Sprache" not in html
    assert 'lang="en"' not in html


def test_a_language_without_an_interface_falls_back_to_english_without_a_note(
    issued: IssuedLink,
) -> None:
    prefer(issued.administration.patient, "fr")
    html = open_questionnaire(issued.token).get("/q/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "How is your therapy going?" in html
    assert "items-language-note" not in html
    assert 'lang="en"' not in html.split("<body", 1)[1]  # the items are the page's language


def test_a_regional_code_uses_the_base_language(issued: IssuedLink) -> None:
    prefer(issued.administration.patient, "es-MX")
    html = open_questionnaire(issued.token).get("/q/").content.decode()
    assert '<html lang="es"' in html


def test_missing_answers_are_pointed_out_in_the_clients_language(issued: IssuedLink) -> None:
    prefer(issued.administration.patient, "de")
    browser = open_questionnaire(issued.token)
    answers = all_answers()
    del answers["item_2"], answers["item_5"]
    html = post_answers(browser, answers).content.decode()
    assert "2 Fragen brauchen noch eine Antwort." in html
    assert "Bitte wählen Sie eine Antwort auf diese Frage." in html
    # The message sits inside an English item fieldset, so it carries its own language.
    assert 'id="q-2-error" lang="de"' in html


def test_thanks_and_already_received_are_in_the_clients_language(issued: IssuedLink) -> None:
    prefer(issued.administration.patient, "es")
    browser = open_questionnaire(issued.token)
    assert post_answers(browser, all_answers()).status_code == 302
    thanks = browser.get("/q-done/").content.decode()
    assert "Hemos recibido sus respuestas." in thanks
    again = post_answers(browser, all_answers()).content.decode()
    assert "Ya tenemos sus respuestas" in again


def test_an_unknown_link_answers_in_the_browsers_language_only(issued: IssuedLink) -> None:
    # Answering in the client's language would tell a real (expired) link from a made-up
    # one; the token address therefore uses the browser's language for both.
    prefer(issued.administration.patient, "es")
    issued.administration.expires_at = timezone.now()
    issued.administration.save(update_fields=["expires_at"])
    expired = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/q/{issued.token}")
    unknown = Client(HTTP_ACCEPT_LANGUAGE="de").get("/q/" + "x" * 43)
    assert expired.status_code == unknown.status_code == 404
    assert expired.content == unknown.content
    assert "Dieser Link funktioniert nicht" in expired.content.decode()


def test_the_kiosk_speaks_the_clients_language_once_the_code_is_entered(
    admin_a: User, issued: IssuedLink
) -> None:
    prefer(issued.administration.patient, "es")
    _device, token = kiosk_enrol(actor=admin_a, name="Waiting room")
    tablet = Client()
    tablet.cookies[KIOSK_COOKIE] = token
    code_page = tablet.get("/kiosk").content.decode()
    assert "Type the 6-character code" in code_page  # the tablet's own language
    tablet.post("/kiosk", {"code": issued.short_code})
    form = tablet.get("/kiosk/questionnaire/").content.decode()
    assert '<html lang="es"' in form
    assert "Enviar mis respuestas" in form
    done = tablet.post("/kiosk/questionnaire/", {"form_code": "wai-sr-client", **all_answers()})
    assert done.url == "/kiosk/thanks/"
    thanks = tablet.get("/kiosk/thanks/").content.decode()
    assert "Esta tableta volverá al inicio" in thanks
    # The next person starts in the tablet's language again.
    assert "Type the 6-character code" in tablet.get("/kiosk").content.decode()


def test_the_questionnaire_email_and_reminder_are_in_the_clients_language(
    therapist_a1: User, issued: IssuedLink
) -> None:
    prefer(issued.administration.patient, "de")
    with translation.override("en"):  # the therapist's page is in English
        administration_email(actor=therapist_a1, administration=issued.administration)
        assert translation.get_language() == "en"  # the sender's language is untouched
    message = mail.outbox[-1]
    assert message.subject == "Ein kurzer Fragebogen von Northside Therapy"
    assert "Tess Therapist möchte wissen, wie Ihre Therapie läuft." in message.body
    html = message.alternatives[0][0]
    assert '<html lang="de" dir="ltr">' in html
    assert "Fragebogen öffnen" in html
    assert "Open the questionnaire" not in html
