"""Reading one form file and checking it completely.

Every failure is an `InstrumentError` naming the file and the reason, so that a clinic that
drops a broken file into its folder learns at start-up which file is wrong and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .definitions import (
    MAX_ITEMS,
    PROVENANCE_LEVELS,
    RATERS,
    SCALE_LIMIT,
    SUBSCALES,
    THERAPIST_PLACEHOLDER,
    Form,
    InstrumentError,
    Item,
    Scale,
    Translation,
)

_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")

_FORM_FIELDS = {
    "code": True,
    "title": True,
    "short_title": True,
    "rater": True,
    "citation": True,
    "provenance": True,
    "provenance_note": True,
    "copyright": True,
    "scale": True,
    "instructions": False,
    "reverse_items": True,
    "items": True,
    "translations": False,
    "pairs_with": False,
}
_ITEM_FIELDS = {
    "number": True,
    "text": True,
    "subscale": True,
    "reverse": True,
    "source_item": False,
}
_SCALE_FIELDS = {"name": False, "min": True, "max": True, "labels": True}
_TRANSLATION_FIELDS = {
    "items": True,
    "title": False,
    "short_title": False,
    "instructions": False,
    "scale_labels": False,
    "therapist_fallback": False,
    "licence": False,
}
OVERLAY_FIELDS = {"code": True, "translations": True}


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.load keeps the last of two equal keys silently; a label or item text given
    # twice is a mistake worth stopping for.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(path, f"cannot be read ({exc})") from None
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InstrumentError(path, f"is not valid JSON ({exc})") from None
    except ValueError as exc:
        raise InstrumentError(path, str(exc)) from None
    if not isinstance(data, dict):
        raise InstrumentError(path, "must hold one JSON object")
    return data


def check_fields(path: Path, data: dict[str, Any], spec: dict[str, bool], what: str) -> None:
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise InstrumentError(path, f"unknown field {unknown[0]!r} in {what}")
    for name, required in spec.items():
        if required and name not in data:
            raise InstrumentError(path, f"missing field {name!r} in {what}")


def _text(path: Path, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentError(path, f"{what} must be a non-empty string")
    unknown = [p for p in _PLACEHOLDER_RE.findall(value) if p != THERAPIST_PLACEHOLDER]
    if unknown:
        raise InstrumentError(
            path, f"{what} has the unknown placeholder {unknown[0]} (only {{therapist}})"
        )
    return value


def _whole(path: Path, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstrumentError(path, f"{what} must be a whole number, not {value!r}")
    return value


def _parse_labels(path: Path, raw: Any, lo: int, hi: int, what: str) -> tuple[str, ...]:
    if not isinstance(raw, dict):
        raise InstrumentError(path, f"{what} must be an object mapping each answer to its label")
    labels: dict[int, str] = {}
    for key, value in raw.items():
        try:
            point = int(key)
        except ValueError:
            raise InstrumentError(path, f"{what} has the key {key!r}, not an answer") from None
        if not lo <= point <= hi:
            raise InstrumentError(path, f"{what} labels {point}, outside the scale {lo}–{hi}")
        labels[point] = _text(path, value, f"the label for {point} in {what}")
    for point in range(lo, hi + 1):
        if point not in labels:
            raise InstrumentError(path, f"{what} has no label for {point}")
    return tuple(labels[p] for p in range(lo, hi + 1))


def _parse_scale(path: Path, raw: Any) -> Scale:
    if not isinstance(raw, dict):
        raise InstrumentError(path, "scale must be an object with min, max and labels")
    check_fields(path, raw, _SCALE_FIELDS, "the scale")
    lo = _whole(path, raw["min"], "scale min")
    hi = _whole(path, raw["max"], "scale max")
    if not -SCALE_LIMIT <= lo < hi <= SCALE_LIMIT:
        raise InstrumentError(
            path, f"scale min and max must satisfy {-SCALE_LIMIT} ≤ min < max ≤ {SCALE_LIMIT}"
        )
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise InstrumentError(path, "scale name must be a string")
    return Scale(
        min=lo, max=hi, labels=_parse_labels(path, raw["labels"], lo, hi, "the scale"), name=name
    )


def _parse_item(path: Path, raw: Any, position: int) -> Item:
    if not isinstance(raw, dict):
        raise InstrumentError(path, f"entry {position} of items must be an object")
    number = raw.get("number")
    what = f"item {number}" if isinstance(number, int) else f"entry {position} of items"
    check_fields(path, raw, _ITEM_FIELDS, what)
    number = _whole(path, number, f"the number of {what}")
    subscale = raw["subscale"]
    if subscale not in SUBSCALES:
        raise InstrumentError(
            path, f"item {number} has subscale {subscale!r}; use one of {', '.join(SUBSCALES)}"
        )
    reverse = raw["reverse"]
    if not isinstance(reverse, bool):
        raise InstrumentError(path, f"item {number}: reverse must be true or false")
    source = raw.get("source_item")
    if source is not None:
        _whole(path, source, f"source_item of item {number}")
    text = _text(path, raw["text"], f"the text of item {number}")
    return Item(number=number, text=text, subscale=subscale, reverse=reverse, source_item=source)


def _parse_items(path: Path, raw: Any) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        raise InstrumentError(path, "items must be a non-empty list")
    if len(raw) > MAX_ITEMS:
        raise InstrumentError(path, f"a form may have at most {MAX_ITEMS} items")
    items: dict[int, Item] = {}
    for position, entry in enumerate(raw, start=1):
        item = _parse_item(path, entry, position)
        if item.number in items:
            raise InstrumentError(path, f"item number {item.number} appears twice")
        items[item.number] = item
    # Item numbers are also the CSV column names item_1 .. item_N, so no gaps.
    expected = set(range(1, len(items) + 1))
    if set(items) != expected:
        odd = sorted(set(items) - expected)
        gap = sorted(expected - set(items))
        detail = f"item {odd[0]} is out of sequence" if odd else f"item {gap[0]} is missing"
        raise InstrumentError(path, f"items must be numbered 1 to {len(items)}; {detail}")
    ordered = tuple(items[n] for n in sorted(items))
    for name in SUBSCALES:
        if not any(i.subscale == name for i in ordered):
            raise InstrumentError(path, f"subscale {name!r} has no items")
    return ordered


def _check_reverse_items(path: Path, raw: Any, items: tuple[Item, ...]) -> None:
    # The key is stated twice on purpose: per item, and as the compact reverse list that
    # can be proofread against the published key. They must agree.
    if not isinstance(raw, list):
        raise InstrumentError(path, "reverse_items must be a list of item numbers")
    listed: set[int] = set()
    for value in raw:
        number = _whole(path, value, "an entry of reverse_items")
        if not 1 <= number <= len(items):
            raise InstrumentError(
                path, f"reverse_items names item {number}, which the form does not have"
            )
        if number in listed:
            raise InstrumentError(path, f"reverse_items names item {number} twice")
        listed.add(number)
    flagged = {i.number for i in items if i.reverse}
    for number in sorted(listed ^ flagged):
        if number in flagged:
            raise InstrumentError(path, f"item {number} is reverse-keyed but not in reverse_items")
        raise InstrumentError(
            path, f"reverse_items names item {number}, which is not reverse-keyed"
        )


def _choice(path: Path, value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InstrumentError(path, f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def parse_form(path: Path, data: dict[str, Any]) -> Form:
    check_fields(path, data, _FORM_FIELDS, "the form")
    code = data["code"]
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise InstrumentError(
            path, f"code {code!r} must be lower-case letters and digits joined by hyphens"
        )
    scale = _parse_scale(path, data["scale"])
    items = _parse_items(path, data["items"])
    _check_reverse_items(path, data["reverse_items"], items)
    instructions = data.get("instructions", "")
    if instructions:
        instructions = _text(path, instructions, "instructions")
    pairs_with = data.get("pairs_with", "")
    if pairs_with != "" and (not isinstance(pairs_with, str) or not _CODE_RE.match(pairs_with)):
        raise InstrumentError(path, f"pairs_with {pairs_with!r} must be a form code")
    if pairs_with == code:
        raise InstrumentError(path, "pairs_with names the form itself")
    form = Form(
        code=code,
        title=_text(path, data["title"], "title"),
        short_title=_text(path, data["short_title"], "short_title"),
        rater=_choice(path, data["rater"], RATERS, "rater"),
        citation=_text(path, data["citation"], "citation"),
        provenance=_choice(path, data["provenance"], PROVENANCE_LEVELS, "provenance"),
        provenance_note=_text(path, data["provenance_note"], "provenance_note"),
        copyright=_text(path, data["copyright"], "copyright"),
        scale=scale,
        items=items,
        instructions=instructions,
        source_file=str(path),
        pairs_with=pairs_with,
    )
    if "translations" in data:
        translations = parse_translations(path, data["translations"], form)
        form = replace(form, translations=MappingProxyType(translations))
    return form


def parse_translations(path: Path, raw: Any, form: Form) -> dict[str, Translation]:
    if not isinstance(raw, dict):
        raise InstrumentError(path, "translations must be an object keyed by language code")
    result: dict[str, Translation] = {}
    for language, entry in raw.items():
        code = language.lower() if isinstance(language, str) else language
        if not isinstance(code, str) or not _LANGUAGE_RE.match(code):
            raise InstrumentError(
                path, f"{language!r} is not a language code such as 'de' or 'pt-br'"
            )
        if code in result:
            raise InstrumentError(path, f"translation {code!r} appears twice")
        result[code] = _parse_translation(path, code, entry, form)
    return result


def _parse_translation(path: Path, language: str, raw: Any, form: Form) -> Translation:
    what = f"translation {language!r}"
    if not isinstance(raw, dict):
        raise InstrumentError(path, f"{what} must be an object")
    check_fields(path, raw, _TRANSLATION_FIELDS, what)
    texts = raw["items"]
    if not isinstance(texts, dict):
        raise InstrumentError(path, f"{what}: items must map item numbers to texts")
    by_number: dict[int, str] = {}
    for key, value in texts.items():
        try:
            number = int(key)
        except ValueError:
            raise InstrumentError(path, f"{what} has the item key {key!r}, not a number") from None
        if not 1 <= number <= form.item_count:
            raise InstrumentError(
                path, f"{what} has text for item {number}, which {form.code} does not have"
            )
        by_number[number] = _text(path, value, f"{what} item {number}")
    for number in range(1, form.item_count + 1):
        if number not in by_number:
            raise InstrumentError(path, f"{what} lacks item {number}")
    labels = raw.get("scale_labels")
    if labels is not None:
        labels = _parse_labels(path, labels, form.scale.min, form.scale.max, f"{what} scale_labels")

    def optional(name: str) -> str | None:
        value = raw.get(name)
        return None if value is None else _text(path, value, f"{what} {name}")

    licence = raw.get("licence", "")
    if not isinstance(licence, str):
        raise InstrumentError(path, f"{what} licence must be a string")
    return Translation(
        language=language,
        items=tuple(by_number[n] for n in range(1, form.item_count + 1)),
        title=optional("title"),
        short_title=optional("short_title"),
        instructions=optional("instructions"),
        scale_labels=labels,
        therapist_fallback=optional("therapist_fallback"),
        licence=licence,
        source_file=str(path),
    )


def check_pairs(forms: dict[str, Form]) -> None:
    """Every declared pair must be a real pair: the other form exists, is rated by the
    other side, has the same number of items, and does not pair with a third form."""
    for form in forms.values():
        if not form.pairs_with:
            continue
        path = Path(form.source_file)
        other = forms.get(form.pairs_with)
        if other is None:
            raise InstrumentError(
                path, f"pairs_with names {form.pairs_with!r}, which is not a loaded form"
            )
        if other.rater == form.rater:
            raise InstrumentError(
                path,
                f"pairs_with names {other.code!r}, rated by the {other.rater} too; "
                "a pair is one client form and one therapist form",
            )
        if other.item_count != form.item_count:
            raise InstrumentError(
                path,
                f"pairs_with names {other.code!r}, which has {other.item_count} items, "
                f"not {form.item_count}",
            )
        if other.pairs_with and other.pairs_with != form.code:
            raise InstrumentError(
                path,
                f"pairs_with names {other.code!r}, which pairs with {other.pairs_with!r}",
            )
