"""The accessibility statement: public, in the reader's language, linked from every
page's footer, and its claims match the tests that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import Patient, User
from tests.conftest import client_for
from tests.questionnaires.fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

URL = reverse("accessibility")


def test_anyone_reads_it_without_signing_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1" in page and "Accessibility statement" in page
    assert "WCAG" in page and "2.2" in page and "AA" in page
    for kind in ("questionnaire", "kiosk", "Staff pages", "console", "Emails", "PDF"):
        assert kind in page, kind
    assert "has not yet tried Alliance" in page  # no claim of a screen-reader pass


def test_a_session_half_signed_in_reads_it_too(therapist_a1: User) -> None:
    assert client_for(therapist_a1, second_factor=False).get(URL).status_code == 200


@pytest.mark.parametrize(("lang", "words"), [("de", "Barrierefreiheit"), ("es", "accesibilidad")])
def test_a_clients_language_comes_with_the_link(lang: str, words: str) -> None:
    response = Client().get(URL, {"lang": lang})
    assert words.lower() in response.content.decode().lower()
    assert "200 % " in response.content.decode() and "%%" not in response.content.decode()
    assert response["Content-Language"] == lang


def test_an_unknown_language_or_a_strange_value_is_ignored() -> None:
    for value in ("xx", "../../etc", "de\x00", "a" * 500):
        assert Client().get(URL, {"lang": value, "from": value}).status_code in (200, 400)


def test_from_the_kiosk_it_offers_the_way_back() -> None:
    page = Client().get(URL, {"from": "kiosk"}).content.decode()
    assert f'href="{reverse("assessments:kiosk")}"' in page
    assert f'href="{reverse("assessments:kiosk")}"' not in Client().get(URL).content.decode()


def _footer_link(page: str) -> str:
    footer = page.split('<footer class="site-footer">')[1].split("</footer>")[0]
    return footer.split('href="')[1].split('"')[0]


def test_every_client_page_links_to_it_in_the_clients_language(
    issued: IssuedLink, admin_a: User
) -> None:
    browser = open_questionnaire(issued.token)
    questionnaire = browser.get("/q/").content.decode()
    assert _footer_link(questionnaire).startswith(URL + "?lang=en")
    done = post_answers(browser, all_answers(), form_code="wai-sr-client")
    thanks = browser.get(done.url).content.decode()
    assert _footer_link(thanks).startswith(URL)
    unavailable = Client().get("/q/not-a-token").content.decode()
    assert _footer_link(unavailable).startswith(URL)
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    kiosk = Client()
    kiosk.cookies[KIOSK_COOKIE] = token
    code_page = kiosk.get(reverse("assessments:kiosk")).content.decode()
    assert _footer_link(code_page) == URL + "?lang=en&amp;from=kiosk"


def test_staff_and_sign_in_pages_link_to_it(therapist_a1: User, client_a1: Patient) -> None:
    assert _footer_link(client_for(None).get("/accounts/login/").content.decode()) == URL
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    assert _footer_link(page) == URL


def test_the_checks_it_names_exist_as_tests() -> None:
    """The statement names four kinds of check; each must be a test in tests/browser."""
    browser_tests = Path(settings.BASE_DIR, "tests", "browser")
    source = "\n".join(p.read_text() for p in browser_tests.glob("test_*.py"))
    assert "Axe().run" in source or "serious_problems(" in source
    assert "def test_a_client_completes_the_questionnaire_with_the_keyboard_alone" in source
    assert "def test_the_client_pages_are_accessible_at_200_percent_zoom" in source
    assert "def test_the_kiosk_fits_200_percent_zoom" in source
    assert "def test_each_question_is_a_named_group_of_named_answers_in_the_tree" in source
    assert "def test_the_idle_warning_extends_on_request_and_otherwise_signs_out" in source
    assert "def test_the_kiosk_asks_before_it_forgets_the_visit" in source
    docs = " ".join(Path(settings.BASE_DIR, "docs", "accessibility.md").read_text().split())
    assert "has not been done" in docs  # the human screen-reader pass
