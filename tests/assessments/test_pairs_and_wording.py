"""Forms built to pair (`pairs_with`), and the documented changes to item wording."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assessments.scoring.definitions import InstrumentError
from assessments.scoring.registry import Registry

Writer = Callable[[str, Any], Path]


def load_error(folder: Path) -> str:
    with pytest.raises(InstrumentError) as caught:
        Registry.load(folder)
    return str(caught.value)


def therapist_twin(form_data: dict[str, Any]) -> dict[str, Any]:
    twin = copy.deepcopy(form_data)
    twin.update(code="clinic-mini-therapist", rater="therapist")
    return twin


def test_the_built_in_pairs_are_declared_both_ways() -> None:
    registry = Registry.load()
    assert registry.pair_of("wai-s-client") == "wai-s-therapist"
    assert registry.pair_of("wai-s-therapist") == "wai-s-client"
    assert registry.pair_of("wai-36-client") == "wai-36-therapist"
    assert registry.pair_of("wai-36-therapist") == "wai-36-client"
    assert registry.pair_of("wai-sr-client") is None
    assert registry.pair_of("no-such-form") is None
    assert registry.are_paired("wai-s-client", "wai-s-therapist")
    assert not registry.are_paired("wai-sr-client", "wai-s-therapist")
    assert not registry.are_paired("wai-s-client", "wai-36-therapist")


def test_a_clinic_declares_its_own_pair(write_json: Writer, form_data: dict) -> None:
    form_data["pairs_with"] = "clinic-mini-therapist"
    path = write_json("mini.json", form_data)
    write_json("mini-t.json", therapist_twin(form_data) | {"pairs_with": ""})
    registry = Registry.load(path.parent)
    assert registry.pair_of("clinic-mini") == "clinic-mini-therapist"
    assert registry.pair_of("clinic-mini-therapist") == "clinic-mini"


def test_it_rejects_a_pair_with_a_form_that_does_not_exist(
    write_json: Writer, form_data: dict
) -> None:
    form_data["pairs_with"] = "clinic-nothing"
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert str(path) in message and "'clinic-nothing', which is not a loaded form" in message


def test_it_rejects_a_pair_rated_by_the_same_side(write_json: Writer, form_data: dict) -> None:
    form_data["pairs_with"] = "wai-sr-client"
    path = write_json("mini.json", form_data)
    assert "rated by the client too" in load_error(path.parent)


def test_it_rejects_a_pair_with_another_item_count(write_json: Writer, form_data: dict) -> None:
    form_data["pairs_with"] = "wai-s-therapist"  # 12 items
    path = write_json("mini.json", form_data)
    message = load_error(path.parent)
    assert "has 12 items, not" in message


def test_it_rejects_a_form_pairing_with_one_that_pairs_elsewhere(
    write_json: Writer, form_data: dict
) -> None:
    twin = therapist_twin(form_data)
    twin["pairs_with"] = "clinic-other"
    other = copy.deepcopy(form_data) | {"code": "clinic-other"}
    form_data["pairs_with"] = "clinic-mini-therapist"
    path = write_json("mini.json", form_data)
    write_json("mini-t.json", twin)
    write_json("other.json", other)
    assert "which pairs with" in load_error(path.parent)


@pytest.mark.parametrize("value", [12, "Not A Code", "clinic-mini"])
def test_it_rejects_a_pairs_with_that_is_no_other_form_code(
    write_json: Writer, form_data: dict, value: object
) -> None:
    form_data["pairs_with"] = value
    path = write_json("mini.json", form_data)
    assert "pairs_with" in load_error(path.parent)


# The items of the client WAI-36 put into the present tense, as docs/scoring.md lists them.
PRESENT_TENSE = {
    30: "{therapist} and I collaborate on setting goals for my therapy.",
    31: "I am frustrated by the things I am doing in therapy.",
    32: "We have established a good understanding of the kind of changes that would be good "
    "for me.",
    33: "The things that {therapist} is asking me to do don't make sense.",
    34: "I don't know what to expect as the result of my therapy.",
    35: "I believe the way we are working with my problem is correct.",
    36: "I feel {therapist} cares about me even when I do things that he/she does not approve of.",
}


def test_the_documented_present_tense_items_are_the_ones_asked() -> None:
    form = Registry.load().get("wai-36-client")
    assert {n: form.item(n).text for n in PRESENT_TENSE} == PRESENT_TENSE
    docs = (Path(__file__).resolve().parents[2] / "docs" / "scoring.md").read_text()
    for n, text in PRESENT_TENSE.items():
        assert f"| {n} |" in docs and text in docs
    assert "character for character from the sources" not in docs
    assert "single-source" in form.provenance_note


def test_derived_keys_say_they_rest_on_a_single_source_key() -> None:
    registry = Registry.load()
    for code in ("wai-s-client", "wai-s-therapist"):
        form = registry.get(code)
        assert form.provenance == "derived"
        assert "single-source" in form.provenance_note
    assert registry.get("wai-36-client").provenance == "single-source"
