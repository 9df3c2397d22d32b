"""Loading definitions: malformed files stop loading with the file name and the reason;
a clinic folder adds forms and translations; the process-wide registry loads once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from assessments.scoring import registry as registry_module
from assessments.scoring.definitions import InstrumentError, render_item_text
from assessments.scoring.registry import Registry, configure_registry, get_registry, reset_registry
from assessments.scoring.sheet import score

Writer = Callable[[str, Any], Path]
GERMAN_ITEMS = {str(n): f"Satz {n} über {{therapist}}." for n in range(1, 13)}


def load_error(folder: Path) -> str:
    with pytest.raises(InstrumentError) as caught:
        Registry.load(folder)
    return str(caught.value)


# --- the built-in folder -------------------------------------------------------------------
def test_it_loads_the_built_in_forms_without_a_clinic_folder() -> None:
    assert len(Registry.load()) == 5
    assert len(Registry.load(None)) == 5
    assert len(Registry.load("")) == 5


def test_an_empty_clinic_folder_changes_nothing(instruments_dir: Path) -> None:
    assert Registry.load(instruments_dir).codes() == Registry.load().codes()


def test_it_refuses_a_clinic_folder_that_does_not_exist(tmp_path: Path) -> None:
    message = load_error(tmp_path / "nowhere")
    assert "nowhere" in message
    assert "does not exist" in message


def test_it_asks_for_an_unknown_form_by_raising_key_error() -> None:
    with pytest.raises(KeyError):
        Registry.load().get("wai-99")


# --- malformed definitions -------------------------------------------------------------------
def test_it_rejects_duplicate_item_numbers(write_json: Writer, form_data: dict) -> None:
    form_data["items"][3]["number"] = 2
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "item number 2 appears twice" in message


def test_it_rejects_an_empty_subscale(write_json: Writer, form_data: dict) -> None:
    form_data["items"][2]["subscale"] = "goal"
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "subscale 'bond' has no items" in message


def test_it_rejects_a_reverse_flag_on_an_unknown_item(write_json: Writer, form_data: dict) -> None:
    form_data["reverse_items"] = [4, 7]
    path = write_json("mini.json", form_data)
    assert "reverse_items names item 7, which the form does not have" in load_error(path.parent)


def test_it_rejects_a_reverse_list_that_disagrees_with_the_items(
    write_json: Writer, form_data: dict
) -> None:
    form_data["reverse_items"] = []
    path = write_json("mini.json", form_data)
    assert "item 4 is reverse-keyed but not in reverse_items" in load_error(path.parent)


def test_it_rejects_a_reverse_list_naming_a_normal_item(
    write_json: Writer, form_data: dict
) -> None:
    form_data["reverse_items"] = [2, 4]
    path = write_json("mini.json", form_data)
    assert "reverse_items names item 2, which is not reverse-keyed" in load_error(path.parent)


def test_it_rejects_a_missing_scale_label(write_json: Writer, form_data: dict) -> None:
    del form_data["scale"]["labels"]["3"]
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "the scale has no label for 3" in message


def test_it_rejects_a_label_outside_the_scale(write_json: Writer, form_data: dict) -> None:
    form_data["scale"]["labels"]["6"] = "f"
    path = write_json("mini.json", form_data)
    assert "labels 6, outside the scale 1–5" in load_error(path.parent)


def test_it_rejects_a_translation_that_lacks_an_item(write_json: Writer, form_data: dict) -> None:
    form_data["translations"] = {"de": {"items": {"1": "a", "2": "b", "4": "d"}}}
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "translation 'de' lacks item 3" in message


def test_it_rejects_a_translation_of_an_item_the_form_does_not_have(
    write_json: Writer, form_data: dict
) -> None:
    form_data["translations"] = {"de": {"items": {str(n): "x" for n in range(1, 6)}}}
    path = write_json("mini.json", form_data)
    assert "has text for item 5, which clinic-mini does not have" in load_error(path.parent)


def test_it_rejects_a_translation_file_that_lacks_an_item(write_json: Writer) -> None:
    items = {k: v for k, v in GERMAN_ITEMS.items() if k != "7"}
    path = write_json(
        "de.json", {"code": "wai-sr-client", "translations": {"de": {"items": items}}}
    )
    message = load_error(path.parent)
    assert str(path) in message
    assert "translation 'de' lacks item 7" in message


def test_it_rejects_a_translation_with_an_incomplete_scale(write_json: Writer) -> None:
    entry = {"items": GERMAN_ITEMS, "scale_labels": {"1": "selten", "2": "manchmal"}}
    path = write_json("de.json", {"code": "wai-sr-client", "translations": {"de": entry}})
    assert "scale_labels has no label for 3" in load_error(path.parent)


def test_it_rejects_a_form_code_defined_twice(write_json: Writer, form_data: dict) -> None:
    form_data["code"] = "wai-sr-client"
    path = write_json("mine.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "form 'wai-sr-client' is already defined in" in message
    assert "wai-sr-client.json" in message


def test_it_rejects_two_clinic_files_with_one_code(write_json: Writer, form_data: dict) -> None:
    write_json("a.json", form_data)
    path = write_json("b.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert "already defined in" in message


def test_it_rejects_translations_for_an_unknown_form(write_json: Writer) -> None:
    path = write_json("de.json", {"code": "wai-99", "translations": {"de": {"items": {}}}})
    message = load_error(path.parent)
    assert str(path) in message
    assert "translations for unknown form 'wai-99'" in message


def test_it_rejects_a_language_translated_twice(write_json: Writer) -> None:
    overlay = {"code": "wai-sr-client", "translations": {"de": {"items": GERMAN_ITEMS}}}
    write_json("de-1.json", overlay)
    path = write_json("de-2.json", overlay)
    message = load_error(path.parent)
    assert str(path) in message
    assert "translation 'de' of wai-sr-client is already defined in" in message


def test_it_rejects_a_file_that_is_not_json(write_json: Writer) -> None:
    path = write_json("broken.json", '{"code": "x",')
    message = load_error(path.parent)
    assert str(path) in message
    assert "is not valid JSON" in message


def test_it_rejects_a_key_given_twice(write_json: Writer, form_data: dict) -> None:
    import json

    text = json.dumps(form_data).replace('"1": "a"', '"1": "a", "1": "z"')
    path = write_json("mini.json", text)
    assert "the key '1' appears twice" in load_error(path.parent)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.pop("citation"), "missing field 'citation'"),
        (lambda d: d.update(revers=[4]), "unknown field 'revers'"),
        (lambda d: d.update(provenance="rumour"), "provenance must be one of verified"),
        (lambda d: d.update(rater="parent"), "rater must be one of client, therapist"),
        (lambda d: d.update(code="Mini Form"), "code 'Mini Form' must be lower-case"),
        (lambda d: d.update(items=[]), "items must be a non-empty list"),
        (lambda d: d["items"][1].update(subscale="trust"), "item 2 has subscale 'trust'"),
        (lambda d: d["items"][1].update(reverse="no"), "item 2: reverse must be true or false"),
        (lambda d: d["items"][1].update(number=2.0), "must be a whole number"),
        (lambda d: d["items"][1].update(text=" "), "the text of item 2 must be a non-empty string"),
        (
            lambda d: d["items"][1].update(text="I like {therapst}."),
            "unknown placeholder {therapst}",
        ),
        (lambda d: d["items"][3].update(number=5), "item 5 is out of sequence"),
        (lambda d: d["scale"].update(min=5), "scale min and max must satisfy"),
        (lambda d: d["scale"].update(max=True), "scale max must be a whole number"),
        (lambda d: d.update(translations={"German": {"items": {}}}), "'German' is not a language"),
        (lambda d: d.update(translations={"de": {"items": {}}}), "translation 'de' lacks item 1"),
        (
            lambda d: d.update(
                translations={"de": {"items": dict.fromkeys("1234", "x"), "licence": 3}}
            ),
            "translation 'de' licence must be a string",
        ),
    ],
)
def test_it_names_the_reason_for_each_kind_of_malformed_definition(
    write_json: Writer, form_data: dict, edit: Callable[[dict], object], reason: str
) -> None:
    edit(form_data)
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message
    assert reason in message


# --- a clinic's own forms and translations ------------------------------------------------------
def test_a_clinic_file_adds_a_form_that_can_be_scored(write_json: Writer, form_data: dict) -> None:
    path = write_json("mini.json", form_data)
    registry = Registry.load(path.parent)
    form = registry.get("clinic-mini")
    assert len(registry) == 6
    assert form.source_file == str(path)
    result = score(form, {1: 5, 2: 3, 3: 4, 4: 2})
    assert result.goal.sum == 9  # 5 + (1 + 5 - 2)


def test_a_translation_file_adds_a_language_to_a_built_in_form(
    write_json: Writer, instruments_dir: Path
) -> None:
    entry = {
        "title": "Arbeitsbündnis (Kurzform)",
        "instructions": "Bitte antworten Sie.",
        "scale_labels": {
            "1": "selten",
            "2": "manchmal",
            "3": "öfter",
            "4": "sehr oft",
            "5": "immer",
        },
        "items": GERMAN_ITEMS,
        "therapist_fallback": "meine Therapeutin",
        "licence": "Limited Copyright Release, 2024",
    }
    write_json("wai-sr-de.json", {"code": "wai-sr-client", "translations": {"DE": entry}})
    form = Registry.load(instruments_dir).get("wai-sr-client")
    german = form.translation("de")
    assert german is not None
    assert german.title == "Arbeitsbündnis (Kurzform)"
    assert german.licence == "Limited Copyright Release, 2024"
    assert form.item_texts("de")[6] == "Satz 7 über {therapist}."
    assert form.item_texts("de-AT") == form.item_texts("de")
    assert form.scale_labels("de")[0] == "selten"
    assert form.item_texts("fr") == tuple(item.text for item in form.items)
    assert form.scale_labels(None) == form.scale.labels


def test_a_translation_may_precede_the_clinic_form_it_translates(
    write_json: Writer, instruments_dir: Path, form_data: dict
) -> None:
    items = {"1": "a", "2": "b", "3": "c", "4": "d"}
    write_json(
        "a-translation.json", {"code": "clinic-mini", "translations": {"fr": {"items": items}}}
    )
    write_json("z-form.json", form_data)
    form = Registry.load(instruments_dir).get("clinic-mini")
    assert form.item_texts("fr") == ("a", "b", "c", "d")


def test_translations_do_not_change_a_forms_identity(write_json: Writer) -> None:
    path = write_json(
        "de.json", {"code": "wai-sr-client", "translations": {"de": {"items": GERMAN_ITEMS}}}
    )
    translated = Registry.load(path.parent).get("wai-sr-client")
    plain = Registry.load().get("wai-sr-client")
    assert translated == plain
    assert hash(translated) == hash(plain)


# --- the process-wide registry ------------------------------------------------------------------
def test_get_registry_loads_once(restore_registry: None) -> None:
    reset_registry()
    first = get_registry()
    assert get_registry() is first
    reset_registry()
    assert get_registry() is not first


def test_configure_registry_adds_the_clinic_folder(
    restore_registry: None, write_json: Writer, form_data: dict
) -> None:
    path = write_json("mini.json", form_data)
    configure_registry(path.parent)
    assert "clinic-mini" in get_registry()
    assert score("clinic-mini", {1: 1}).goal.answered == 1


def test_start_up_stops_on_a_malformed_file_in_the_configured_folder(
    restore_registry: None, settings: Any, write_json: Writer, form_data: dict
) -> None:
    del form_data["scale"]["labels"]["2"]
    path = write_json("mini.json", form_data)
    settings.ALLIANCE_INSTRUMENTS_DIR = str(path.parent)
    with pytest.raises(ImproperlyConfigured) as caught:
        apps.get_app_config("assessments").ready()
    assert str(path) in str(caught.value)
    assert "no label for 2" in str(caught.value)


def test_start_up_loads_the_configured_folder(
    restore_registry: None, settings: Any, write_json: Writer, form_data: dict
) -> None:
    settings.ALLIANCE_INSTRUMENTS_DIR = str(write_json("mini.json", form_data).parent)
    apps.get_app_config("assessments").ready()
    assert "clinic-mini" in get_registry()
    settings.ALLIANCE_INSTRUMENTS_DIR = ""
    apps.get_app_config("assessments").ready()
    assert "clinic-mini" not in get_registry()


def test_registry_and_scoring_import_nothing_from_django_or_pandas() -> None:
    code = (
        "import sys, assessments.scoring.registry, assessments.scoring.sheet\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('django', 'pandas')]\n"
        "assert not loaded, loaded\n"
        "assessments.scoring.sheet.score('wai-sr-client', {1: 3})\n"
    )
    root = Path(registry_module.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# --- therapist names in item text ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("{therapist} and I agree.", "Dr. Ana Ruiz", "Dr. Ana Ruiz and I agree."),
        ("{therapist} and I agree.", None, "My therapist and I agree."),
        ("{therapist} and I agree.", "   ", "My therapist and I agree."),
        ("I believe {therapist} likes me.", "", "I believe my therapist likes me."),
        (
            "I am confident in {therapist}'s ability.",
            None,
            "I am confident in my therapist's ability.",
        ),
        ("I am confident in {therapist}'s ability.", "Sam", "I am confident in Sam's ability."),
        ("I feel uncomfortable with my client.", "Sam", "I feel uncomfortable with my client."),
    ],
)
def test_it_puts_the_therapists_name_or_my_therapist_into_the_text(
    text: str, name: str | None, expected: str
) -> None:
    assert render_item_text(text, name) == expected


def test_a_translation_supplies_its_own_fallback() -> None:
    rendered = render_item_text("{therapist} und ich.", None, fallback="meine Therapeutin")
    assert rendered == "Meine Therapeutin und ich."
