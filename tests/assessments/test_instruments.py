"""The five built-in forms, checked against tables written here by hand from the reference
(WAI-REFERENCE.md), not derived from the definition files."""

from __future__ import annotations

import pytest

from assessments.scoring.definitions import COPYRIGHT_NOTICE
from assessments.scoring.registry import Registry

# Subscale and key per item, copied from the published keys ("R" = reverse-keyed).
WAI_SR_KEY = {
    "goal": "4 6 8 11",
    "task": "1 2 10 12",
    "bond": "3 5 7 9",
}
WAI_36_KEY = {
    "goal": "3R 6 9R 10R 12R 14 22 25 27R 30 32 34R",
    "task": "2 4 7R 11R 13 15R 16 18 24 31R 33R 35",
    "bond": "1R 5 8 17 19 20R 21 23 26 28 29R 36",
}
WAI_S_KEY = {
    "goal": "4R 6 10R 11",
    "task": "1 2 8 12",
    "bond": "3 5 7 9",
}
EXPECTED_KEYS = {
    "wai-sr-client": WAI_SR_KEY,
    "wai-s-client": WAI_S_KEY,
    "wai-s-therapist": WAI_S_KEY,
    "wai-36-client": WAI_36_KEY,
    "wai-36-therapist": WAI_36_KEY,
}
# The WAI-36 item each short-form item was taken from.
WAI_S_SOURCE_ITEMS = [2, 4, 8, 12, 21, 22, 23, 24, 26, 27, 32, 35]
EXPECTED_SCALES = {
    "freq5": ["Seldom", "Sometimes", "Fairly Often", "Very Often", "Always"],
    "freq7": ["Never", "Rarely", "Occasionally", "Sometimes", "Often", "Very Often", "Always"],
}
EXPECTED_FORMS = {
    # code: (items, rater, scale, provenance)
    "wai-sr-client": (12, "client", "freq5", "verified"),
    "wai-s-client": (12, "client", "freq7", "derived"),
    "wai-s-therapist": (12, "therapist", "freq7", "derived"),
    "wai-36-client": (36, "client", "freq7", "single-source"),
    "wai-36-therapist": (36, "therapist", "freq7", "single-source"),
}


def key_table(key: dict[str, str]) -> dict[int, tuple[str, bool]]:
    table: dict[int, tuple[str, bool]] = {}
    for subscale, entries in key.items():
        for entry in entries.split():
            table[int(entry.rstrip("R"))] = (subscale, entry.endswith("R"))
    return table


REGISTRY = Registry.load()
KEY_CASES = [
    (code, number, expected)
    for code, key in EXPECTED_KEYS.items()
    for number, expected in sorted(key_table(key).items())
]


def test_the_registry_holds_exactly_the_five_forms() -> None:
    assert sorted(REGISTRY.codes()) == sorted(EXPECTED_FORMS)


@pytest.mark.parametrize(("code", "expected"), EXPECTED_FORMS.items())
def test_each_form_has_its_item_count_rater_scale_and_provenance(
    code: str, expected: tuple[int, str, str, str]
) -> None:
    items, rater, scale, provenance = expected
    form = REGISTRY.get(code)
    assert form.item_count == items
    assert [item.number for item in form.items] == list(range(1, items + 1))
    assert form.rater == rater
    assert form.scale.name == scale
    assert (form.scale.min, form.scale.max) == (1, len(EXPECTED_SCALES[scale]))
    assert list(form.scale.labels) == EXPECTED_SCALES[scale]
    assert form.provenance == provenance
    assert form.provenance_note.strip()
    assert form.citation.strip()


@pytest.mark.parametrize(("code", "number", "expected"), KEY_CASES)
def test_every_item_sits_on_its_published_subscale_and_key(
    code: str, number: int, expected: tuple[str, bool]
) -> None:
    item = REGISTRY.get(code).item(number)
    assert (item.subscale, item.reverse) == expected


@pytest.mark.parametrize("code", EXPECTED_KEYS)
def test_the_key_table_covers_every_item_of_the_form(code: str) -> None:
    assert sorted(key_table(EXPECTED_KEYS[code])) == list(
        range(1, REGISTRY.get(code).item_count + 1)
    )


def test_the_wai_sr_has_no_reverse_keyed_items_and_does_not_reuse_the_36_item_map() -> None:
    form = REGISTRY.get("wai-sr-client")
    assert not any(item.reverse for item in form.items)
    assert form.item(1).subscale == "task"
    assert form.item(8).subscale == "goal"


@pytest.mark.parametrize("code", ["wai-s-client", "wai-s-therapist"])
def test_the_short_forms_name_their_wai_36_items(code: str) -> None:
    form = REGISTRY.get(code)
    assert [item.source_item for item in form.items] == WAI_S_SOURCE_ITEMS


@pytest.mark.parametrize(
    ("short", "full"), [("wai-s-client", "wai-36-client"), ("wai-s-therapist", "wai-36-therapist")]
)
def test_short_form_items_repeat_the_wording_and_key_of_their_wai_36_item(
    short: str, full: str
) -> None:
    long_form = REGISTRY.get(full)
    for item in REGISTRY.get(short).items:
        assert item.source_item is not None
        source = long_form.item(item.source_item)
        assert item.text == source.text
        assert (item.subscale, item.reverse) == (source.subscale, source.reverse)


@pytest.mark.parametrize(
    ("code", "number", "text"),
    [
        ("wai-sr-client", 9, "I feel {therapist} cares about me even when I do things that he/she does not approve of."),  # noqa: E501
        ("wai-sr-client", 11, "{therapist} and I have established a good understanding of the kind of changes that would be good for me."),  # noqa: E501
        ("wai-s-client", 5, "I am confident in {therapist}'s ability to help me."),
        ("wai-36-client", 33, "The things that {therapist} is asking me to do don't make sense."),
        ("wai-36-therapist", 9, "I sense a need to clarify the purpose of our session(s) for my client."),  # noqa: E501
        ("wai-s-therapist", 12, "My client believes the way we are working with her/his problem is correct."),  # noqa: E501
    ],
)  # fmt: skip
def test_item_wording_is_reproduced_character_for_character(
    code: str, number: int, text: str
) -> None:
    assert REGISTRY.get(code).item(number).text == text


@pytest.mark.parametrize("code", ["wai-36-therapist", "wai-s-therapist"])
def test_therapist_forms_have_no_therapist_placeholder(code: str) -> None:
    assert not any("{therapist}" in item.text for item in REGISTRY.get(code).items)


@pytest.mark.parametrize("code", EXPECTED_FORMS)
def test_every_built_in_form_carries_the_wai_copyright_notice(code: str) -> None:
    assert REGISTRY.get(code).copyright == COPYRIGHT_NOTICE


def test_the_copyright_notice_names_the_holder_and_the_permissions() -> None:
    assert "A. O. Horvath" in COPYRIGHT_NOTICE
    assert "Society for Psychotherapy Research" in COPYRIGHT_NOTICE
    assert "Limited Copyright Release" in COPYRIGHT_NOTICE
