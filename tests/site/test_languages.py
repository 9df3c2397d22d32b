"""Staff choose their interface language; dates and numbers follow it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from assessments.templatetags.alliance import num, signed
from clinicians.languages import client_language, supported_language
from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_interface_offers_english_german_and_spanish() -> None:
    assert [code for code, _name in settings.LANGUAGES] == ["en", "de", "es"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de", "de"), ("DE-at", "de"), ("es_MX", "es"), ("fr", None), ("", None), (None, None)],
)
def test_a_code_maps_to_an_interface_language(code: str | None, expected: str | None) -> None:
    assert supported_language(code) == expected
    assert client_language(code) == (expected or "en")


def test_a_therapist_switches_to_german_and_returns_to_the_same_page(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    page = browser.get("/caseload/").content.decode()
    assert 'id="nav-language"' in page
    assert '<option value="de" lang="de">Deutsch</option>' in page
    response = browser.post("/accounts/language/", {"language": "de", "next": "/caseload/"})
    assert response.status_code == 302
    assert response.url == "/caseload/"
    therapist_a1.refresh_from_db()
    assert therapist_a1.language == "de"
    page = browser.get("/caseload/")
    html = page.content.decode()
    assert page["Content-Language"] == "de"
    assert '<html lang="de" dir="ltr">' in html
    assert "Meine Klient:innen" in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html


def test_the_choice_follows_the_account_to_another_browser(therapist_a1: User) -> None:
    therapist_a1.language = "es"
    therapist_a1.save()
    html = client_for(therapist_a1).get("/caseload/").content.decode()
    assert "Mis casos" in html


def test_without_a_choice_the_browsers_language_is_used(therapist_a1: User) -> None:
    browser = client_for(therapist_a1)
    html = browser.get("/caseload/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Mis casos" in html


def test_an_unknown_language_changes_nothing_and_says_so(therapist_a1: User) -> None:
    browser = client_for(therapist_a1)
    response = browser.post(
        "/accounts/language/", {"language": "xx", "next": "/caseload/"}, follow=True
    )
    assert "That language is not available. Nothing was changed." in response.content.decode()
    therapist_a1.refresh_from_db()
    assert therapist_a1.language == ""


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_the_switch_never_sends_anyone_to_another_site(therapist_a1: User, target: str) -> None:
    response = client_for(therapist_a1).post(
        "/accounts/language/", {"language": "es", "next": target}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_the_switch_needs_a_post_with_a_csrf_token(therapist_a1: User) -> None:
    assert client_for(therapist_a1).get("/accounts/language/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(therapist_a1)
    assert strict.post("/accounts/language/", {"language": "de"}).status_code == 403
    therapist_a1.refresh_from_db()
    assert therapist_a1.language == ""


def test_the_login_page_has_no_switch_and_uses_the_browser_language() -> None:
    html = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de"' in html
    assert "nav-language" not in html


def test_the_scripts_catalogue_is_a_script_file_per_language() -> None:
    response = Client().get("/jsi18n/de/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "Link kopiert." in body
    assert "Kopieren hat nicht funktioniert" in body
    # Only our own strings, not those of Django's admin scripts.
    assert "Choose all" not in body and "Alle auswählen" not in body
    assert Client().get("/jsi18n/xx/").status_code == 404
    assert Client().get("/jsi18n/de-at/").status_code == 404  # one address per language


def test_staff_pages_that_use_scripts_load_the_catalogue_in_the_page_language(
    admin_a: User,
) -> None:
    admin_a.language = "es"
    admin_a.save()
    html = client_for(admin_a).get("/console/import/").content.decode()
    assert '<script src="/jsi18n/es/" defer></script>' in html
    assert html.index("/jsi18n/es/") < html.index("import-progress.js")


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [
        ("en", "3 Dec 2026", "3 Dec 2026, 14:05"),
        ("de", "03.12.2026", "03.12.2026 14:05"),
        ("es", "03/12/2026", "03/12/2026 14:05"),
    ],
)
def test_dates_follow_the_language(language: str, day: str, moment: str) -> None:
    with translation.override(language):
        assert date_format(date(2026, 12, 3), "SHORT_DATE_FORMAT") == day
        assert date_format(datetime(2026, 12, 3, 14, 5), "SHORT_DATETIME_FORMAT") == moment


@pytest.mark.parametrize(
    ("language", "mean", "change"),
    [("en", "3.50", "▲ +1.5"), ("de", "3,50", "▲ +1,5"), ("es", "3,50", "▲ +1,5")],
)
def test_scores_use_the_languages_decimal_mark(language: str, mean: str, change: str) -> None:
    with translation.override(language):
        assert num(3.5, 2) == mean
        assert signed(1.5, 1) == change
        assert num(None) == "—"
