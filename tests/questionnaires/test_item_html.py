"""The items built in Python are the markup the template engine made before, byte for
byte: the same fieldsets, legends, labelled radio buttons, names and ids, languages,
errors and checked answers (reference_items.html is the template as it was)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from django.utils import translation
from django.utils.html import escape

from assessments.questionnaires.forms import QuestionnaireForm
from assessments.questionnaires.item_html import items_html
from assessments.scoring.registry import get_registry

REFERENCE = (Path(__file__).parent / "reference_items.html").read_text(encoding="utf-8")


def reference(form: QuestionnaireForm, **context: Any) -> str:
    return engines["django"].from_string(REFERENCE).render({"form": form, **context})


def form(data: dict[str, str] | None = None, **kwargs: Any) -> QuestionnaireForm:
    instrument = get_registry().get(kwargs.pop("code", "wai-sr-client"))
    built = QuestionnaireForm(data, instrument=instrument, **kwargs)
    if data is not None:
        built.is_valid()
    return built


def answers(**values: str) -> dict[str, str]:
    return {"form_code": "wai-sr-client", **values}


CASES = {
    "unbound": (lambda: form(therapist_name="Tess Therapist"), {}),
    "unbound, no name": (lambda: form(), {}),
    "unbound, escaped name": (
        lambda: form(therapist_name='Dr. <b>"O\'Neil"</b> & Co'),
        {},
    ),
    "bound, valid": (lambda: form(answers(**{f"item_{i}": "3" for i in range(1, 13)})), {}),
    "bound, gaps and a bad value": (
        lambda: form(answers(item_1="5", item_2="9", item_4="<x>", item_7="2")),
        {},
    ),
    "bound, no form code": (lambda: form({"item_1": "1"}), {}),
    "staff entry": (lambda: form(allow_missing=True), {"show_keys": True}),
    "staff entry, sent": (
        lambda: form(answers(item_1="", item_2="4", item_3="x"), allow_missing=True),
        {"show_keys": True},
    ),
    "correction": (
        lambda: form(
            allow_missing=True,
            initial={**{f"item_{i}": i % 5 + 1 for i in range(1, 12)}, "item_12": None},
        ),
        {"show_keys": True},
    ),
    "36 items": (lambda: form(code="wai-36-client"), {}),
    "therapist form": (lambda: form(code="wai-s-therapist", allow_missing=True), {}),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize(
    ("page", "items"), [("en", None), ("en", "en"), ("es", None), ("de", "en"), ("de", "de")]
)
def test_the_items_are_the_markup_the_template_made(
    name: str, page: str, items: str | None
) -> None:
    make, context = CASES[name]
    with translation.override(page):
        built = make()
        expected = reference(built, items_language=items, **context)
        assert items_html(built, items_language=items, **context) == expected


def test_the_reference_shows_what_it_should() -> None:
    # The comparison above is only worth as much as the reference is right.
    with translation.override("es"):
        html = reference(form(answers(item_1="5")), items_language="en")
    assert html.count("<fieldset") == 12
    assert html.count("<legend") == 12
    assert html.count('type="radio"') == 60
    assert html.count(" checked") == 1
    assert 'id="q-2-error" lang="es" dir="auto"' in html
    assert html.count('aria-invalid="true"') == 55
    assert '<label class="wai-option" for="id_item_3_4">' in html


def test_names_are_escaped() -> None:
    html = items_html(form(therapist_name='<script>alert("x")</script>'))
    assert "<script>" not in html
    assert escape('<script>alert("x")</script>') in html
