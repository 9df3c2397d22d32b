"""The interface in the client's and the staff member's language, and right to left.

- A client who prefers German (or Spanish) fills in the whole questionnaire and reads no
  English interface text: every page is compared with the English msgids of the
  catalogue. The clinic's item translation is invented here (only the interface
  language is checked; real item wording comes from a licensed translation).
- A therapist switches the language in the navigation and stays on the same page.
- Right to left: a pseudo-translation made in the test from the German catalogue
  (accented, lengthened text) under a test-only right-to-left code. It never ships:
  it exists only in the test's temporary folder and settings.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from axe_playwright_python.sync_playwright import Axe

from assessments.models import Response
from assessments.questionnaires.links import IssuedLink
from assessments.scoring.registry import configure_registry, reset_registry
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>|&\w+;")
PSEUDO_RTL = "ar-pseudo"  # "ar" makes Django treat it as right to left

# Invented stand-ins for a clinic's licensed item translations.
ITEMS = {
    "de": {
        "title": "Fragebogen (Test)",
        "labels": ["Selten", "Manchmal", "Oft", "Sehr oft", "Immer"],
        "item": "Testsatz {n}: Ich arbeite gut mit {{therapist}} zusammen.",
        "send": "Antworten senden",
        "one_missing": "Eine Frage braucht noch eine Antwort.",
        "thanks": "Vielen Dank",
    },
    "es": {
        "title": "Cuestionario (prueba)",
        "labels": ["Rara vez", "A veces", "A menudo", "Muy a menudo", "Siempre"],
        "item": "Frase de prueba {n}: trabajo bien con {{therapist}}.",
        "send": "Enviar mis respuestas",
        "one_missing": "Falta responder una pregunta.",
        "thanks": "Gracias",
    },
}


def english_fragments(language: str) -> set[str]:
    """English interface text that must not show on a page in `language`.

    Every msgid of the catalogues, cut at its placeholders and markup; pieces short
    enough to be a name or a shared word ("Link", "Status") and strings whose
    translation is the same as the English (a citation) are left out.
    """
    fragments: set[str] = set()
    for po_path in (LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"):
        for entry in polib.pofile(str(po_path)):
            translations = (
                set(entry.msgstr_plural.values()) if entry.msgid_plural else {entry.msgstr}
            )
            for english in filter(None, (entry.msgid, entry.msgid_plural)):
                if english in translations:
                    continue
                for piece in PLACEHOLDER.split(english):
                    piece = piece.strip(" .,:;()")
                    if len(piece) >= 12 and " " in piece:
                        fragments.add(piece)
    return fragments


def assert_no_english(page, language: str) -> None:  # type: ignore[no-untyped-def]
    visible = page.inner_text("body") + "\n" + page.title()
    fragments = english_fragments(language)
    # The comparison has teeth: it knows the questionnaire page's English sentences.
    assert "Your answers go to your clinic and are seen by your therapist" in fragments
    left = sorted(f for f in fragments if f in visible)
    assert left == [], f"English on a {language} page: {left}"


SHOTS = os.environ.get("ALLIANCE_SCREENSHOTS")  # a folder, to look at the pages


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def item(page, number: int):  # type: ignore[no-untyped-def]
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


@pytest.fixture
def clinic_items(tmp_path: Path) -> Iterator[None]:
    """The clinic's folder with a German and a Spanish translation of the WAI-SR."""
    overlay = {
        "code": "wai-sr-client",
        "translations": {
            language: {
                "licence": "test only",
                "title": words["title"],
                "scale_labels": {str(i + 1): label for i, label in enumerate(words["labels"])},
                "items": {str(n): words["item"].format(n=n) for n in range(1, 13)},
            }
            for language, words in ITEMS.items()
        },
    }
    (tmp_path / "wai-sr-translations.json").write_text(json.dumps(overlay), encoding="utf-8")
    configure_registry(tmp_path)
    yield
    reset_registry()


@pytest.mark.parametrize("language", ["de", "es"])
def test_a_client_fills_in_the_questionnaire_in_their_language(
    phone_page, clinic_items: None, issued: IssuedLink, language: str
) -> None:  # type: ignore[no-untyped-def]
    words = ITEMS[language]
    patient = issued.administration.patient
    patient.preferred_language = language
    patient.save()
    phone = phone_page
    phone.goto(f"/q/{issued.token}")
    assert phone.locator("html").get_attribute("lang") == language
    assert phone.locator("fieldset[lang]").count() == 0  # items in the page's language
    assert_no_english(phone, language)
    assert_accessible(phone)
    shot(phone, f"questionnaire-{language}")

    for number in range(1, 12):
        item(phone, number).get_by_label(words["labels"][3]).check()
    phone.get_by_role("button", name=words["send"]).click()
    assert phone.get_by_text(words["one_missing"]).is_visible()
    assert_no_english(phone, language)

    item(phone, 12).get_by_label(words["labels"][4]).check()
    phone.get_by_role("button", name=words["send"]).click()
    phone.wait_for_url("**/q-done/")
    assert phone.get_by_role("heading", name=words["thanks"]).is_visible()
    assert phone.locator("html").get_attribute("lang") == language
    assert_no_english(phone, language)
    assert Response.objects.count() == 1


def test_a_therapist_switches_the_language_in_the_navigation(
    page, therapist_a1: User, client_a1: Patient
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto("/caseload/")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    assert page.url.endswith("/caseload/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Meine Klient:innen").is_visible()
    assert_no_english(page, "de")

    page.get_by_label("Sprache").select_option("es")
    page.get_by_role("button", name="Sprache wechseln").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Mis casos").is_visible()
    therapist_a1.refresh_from_db()
    assert therapist_a1.language == "es"


# --- right to left ----------------------------------------------------------------------
ACCENTED = str.maketrans(
    "AaCcEeIiLlNnOoRrSsUuYyZz",
    "ÅåÇçÉéÎîĹĺÑñÖöŔŕŠšÛûÝýŽž",
)


def pseudo(text: str) -> str:
    """Accented and about a third longer; placeholders and markup kept as they are."""
    parts = PLACEHOLDER.split(text)
    kept = PLACEHOLDER.findall(text)
    out = []
    for i, part in enumerate(parts):
        out.append(re.sub(r"([aeiouAEIOU])", r"\1\1", part).translate(ACCENTED))
        if i < len(kept):
            out.append(kept[i])
    return "".join(out)


@pytest.fixture
def pseudo_rtl(settings, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """A right-to-left pseudo-translation of every interface string, for this test only."""
    folder = tmp_path / "ar_Pseudo" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for domain in ("django", "djangojs"):
        source = polib.pofile(str(LOCALE_DIR / "de" / "LC_MESSAGES" / f"{domain}.po"))
        catalogue = polib.POFile()
        catalogue.metadata = {
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": "nplurals=2; plural=(n != 1);",
            "Language": PSEUDO_RTL,
        }
        for entry in source:
            copy = polib.POEntry(msgid=entry.msgid, msgctxt=entry.msgctxt)
            if entry.msgid_plural:
                copy.msgid_plural = entry.msgid_plural
                copy.msgstr_plural = {0: pseudo(entry.msgid), 1: pseudo(entry.msgid_plural)}
            else:
                copy.msgstr = pseudo(entry.msgid)
            catalogue.append(copy)
        catalogue.save_as_mofile(str(folder / f"{domain}.mo"))
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO_RTL, "Pseudo right-to-left (test)")]
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]
    return PSEUDO_RTL


def assert_right_to_left(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    sheets = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
    assert any("bootstrap.rtl.min.css" in href for href in sheets)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_questionnaire_is_mirrored_right_to_left(
    phone_page, pseudo_rtl: str, issued: IssuedLink
) -> None:  # type: ignore[no-untyped-def]
    patient = issued.administration.patient
    patient.preferred_language = pseudo_rtl
    patient.save()
    phone = phone_page
    phone.goto(f"/q/{issued.token}")
    assert phone.locator("html").get_attribute("lang") == pseudo_rtl
    assert_right_to_left(phone, 360)
    # Mirrored: the clinic's name starts at the right-hand edge.
    name = phone.locator(".client-clinic").bounding_box()
    assert name["x"] + name["width"] > 360 - 40
    # The pseudo-translated words are used; the English items stay left to right.
    assert "Öö" in phone.inner_text("h1") or "öö" in phone.inner_text("h1")
    assert phone.locator('fieldset[lang="en"][dir="auto"]').count() == 12
    assert_accessible(phone)
    shot(phone, "questionnaire-rtl")
    # Sending with answers missing keeps the layout too.
    phone.locator("button.wai-submit").click()
    assert_right_to_left(phone, 360)
    assert_accessible(phone)


def test_the_caseload_is_mirrored_right_to_left(
    page, pseudo_rtl: str, therapist_a1: User, client_a1: Patient
) -> None:  # type: ignore[no-untyped-def]
    # Signed in first: the sign-in helper finds the second-factor page by its English
    # labels, and the pseudo-translation covers those pages too.
    sign_in(page, therapist_a1.email, PASSWORD)
    therapist_a1.language = pseudo_rtl
    therapist_a1.save()
    page.goto("/caseload/")
    assert page.locator("html").get_attribute("lang") == pseudo_rtl
    assert_right_to_left(page, 1280)
    # Mirrored: the brand is on the right of the navigation bar, sign-out on the left.
    brand = page.locator(".navbar-brand").bounding_box()
    sign_out = page.locator("header form[action='/accounts/logout/'] button").bounding_box()
    assert brand["x"] > 640 > sign_out["x"]
    assert_accessible(page)
    shot(page, "caseload-rtl")
