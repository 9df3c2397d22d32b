"""Every readable string is marked for translation, and every catalogue is complete.

This is the test that fails when new strings arrive: run `make translations` (the
makemessages step), translate the new entries in locale/*/LC_MESSAGES/*.po, and run it
again (docs/translations.md).
"""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings

from alliance_site.translations_check import (
    LOCALE_DIR,
    catalogue_problems,
    refreshed_catalogues,
    scan_template,
    scan_templates,
)
from assessments.scoring.registry import get_registry


def test_no_template_has_readable_text_outside_translation_tags() -> None:
    findings = [str(f) for f in scan_templates()]
    assert findings == [], "\n".join(findings)


def test_every_catalogue_is_complete_and_nothing_is_fuzzy() -> None:
    problems = catalogue_problems()
    assert problems == [], "\n".join(problems)


def test_makemessages_finds_nothing_new_to_translate(tmp_path: Path) -> None:
    problems = catalogue_problems(refreshed_catalogues(tmp_path))
    assert problems == [], "Run `make translations` and translate:\n" + "\n".join(problems)


def test_there_is_a_catalogue_for_each_interface_language_but_english() -> None:
    folders = {p.name for p in LOCALE_DIR.iterdir() if p.is_dir()}
    languages = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert folders == languages
    for language in languages:
        for domain in ("django", "djangojs"):
            assert (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").exists()


def test_the_questionnaire_items_are_never_in_the_interface_catalogues() -> None:
    # Item wording is instrument content under its own licence: it comes from the
    # built-in English forms or a clinic's licensed translation, never from a .po file.
    items = {text for form in get_registry().forms() for text in form.item_texts()}
    assert len(items) > 30
    for po_path in LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        msgids = {entry.msgid for entry in polib.pofile(str(po_path))}
        assert not items & msgids, po_path


@pytest.mark.parametrize(
    ("template", "found"),
    [
        ("<p>Hello there</p>", ["Hello there"]),
        ('<button title="Close it">x</button>', ['title="Close it"']),
        ('<img alt="A chart" src="x.svg">', ['alt="A chart"']),
        ('<input placeholder="Your name">', ['placeholder="Your name"']),
        ('<nav aria-label="Main menu"></nav>', ['aria-label="Main menu"']),
        ("{% translate 'Hello there' %} and more", ["and more"]),
    ],
)
def test_the_scanner_finds_unmarked_text(template: str, found: list[str]) -> None:
    assert [f.text for f in scan_template(template, "x.html")] == found


@pytest.mark.parametrize(
    "template",
    [
        "<p>{% translate 'Hello there' %}</p>",
        "<p>{% blocktranslate with n=name %}Hello {{ n }}{% endblocktranslate %}</p>",
        '<p title="{% translate "Close" %}">{{ user.name }}</p>',
        "{# a comment for developers #}<p>{{ value }}</p>",
        "<p><code>item_1</code> <kbd>Ctrl</kbd></p>",
        '<tr translate="no"><td>Jamie Doe</td></tr>',
        "{% block body_class %}client-page{% endblock %}",
        "<p>Alliance · WAI · POMP &middot; 12</p>",
        "<script>var x = 'words in code';</script>",
        '<a class="btn btn-primary" href="/x">{% translate "Go" %}</a>',
    ],
)
def test_the_scanner_leaves_marked_text_code_and_names_alone(template: str) -> None:
    assert scan_template(template, "x.html") == []


def test_the_scanner_gives_the_line_of_each_finding() -> None:
    findings = scan_template(
        "{% load i18n %}\n<h1>{% translate 'A' %}</h1>\n<p>Oops</p>\n", "t.html"
    )
    assert [(f.line, f.text) for f in findings] == [(3, "Oops")]


def test_untranslated_and_fuzzy_entries_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="Done", msgstr="Fertig"))
    catalogue.append(polib.POEntry(msgid="New", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Changed", msgstr="Geändert", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Gone", msgstr="Weg", obsolete=True))
    catalogue.save(str(folder / "django.po"))
    problems = catalogue_problems(tmp_path)
    assert len(problems) == 2
    assert "untranslated: 'New'" in problems[0]
    assert "fuzzy" in problems[1] and "'Changed'" in problems[1]
