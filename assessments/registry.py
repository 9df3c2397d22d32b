"""Instrument definitions (one JSON file per form) and the registry that loads them.

Pure Python on purpose: nothing here imports Django, so scoring, the command line and the
tests can load forms without a configured project. `assessments.apps` calls
`configure_registry()` at start-up with the clinic's extra folder; everything else asks
`get_registry()`.

A definition is checked completely when it is loaded. A clinic that drops a broken file
into its folder should learn at start-up which file is wrong and why, not from a wrong
score months later. Every failure is an `InstrumentError` naming the file and the reason.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

BUILTIN_DIR = Path(__file__).resolve().parent / "instruments"

# Bordin's three parts of the alliance; every form scores exactly these.
SUBSCALES: tuple[str, ...] = ("goal", "task", "bond")
PROVENANCE_LEVELS: tuple[str, ...] = ("verified", "single-source", "derived")
RATERS: tuple[str, ...] = ("client", "therapist")

THERAPIST_PLACEHOLDER = "{therapist}"
DEFAULT_THERAPIST_FALLBACK = "my therapist"

# Shown on the instrument pages and in the docs. The built-in files carry the same text in
# their "copyright" field (a test keeps the two equal); a clinic's own form states its own.
COPYRIGHT_NOTICE = (
    "The Working Alliance Inventory item wording is copyrighted by A. O. Horvath; "
    "permissions are handled through the Society for Psychotherapy Research (SPR). "
    "Sources disagree on whether clinical use needs written permission, so check with SPR "
    "before using the inventory in your clinic. Translations need a Limited Copyright Release."
)

# Bounds keep the vectorised scorer's small-integer arithmetic exact (answers fit in int8,
# per-row sums in int32); they are far wider than any questionnaire needs.
SCALE_LIMIT = 100
MAX_ITEMS = 200

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
_OVERLAY_FIELDS = {"code": True, "translations": True}


class InstrumentError(ValueError):
    """A definition file is malformed; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class Scale:
    min: int
    max: int
    labels: tuple[str, ...]  # labels[i] belongs to the answer min + i
    name: str = ""

    @property
    def points(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))

    def label(self, value: int) -> str:
        return self.labels[value - self.min]


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    subscale: str
    reverse: bool
    source_item: int | None = None  # the WAI-36 number, for the short forms


@dataclass(frozen=True)
class Translation:
    language: str
    items: tuple[str, ...]  # text of item 1, 2, ... in order
    title: str | None = None
    short_title: str | None = None
    instructions: str | None = None
    scale_labels: tuple[str, ...] | None = None
    therapist_fallback: str | None = None
    licence: str = ""
    source_file: str = ""


@dataclass(frozen=True)
class Form:
    code: str
    title: str
    short_title: str
    rater: str
    citation: str
    provenance: str
    provenance_note: str
    copyright: str
    scale: Scale
    items: tuple[Item, ...]  # ordered by number, numbered 1..N
    instructions: str = ""
    source_file: str = ""
    # Left out of equality and hashing: a form is the same instrument whatever
    # translations a clinic has added, and Form must stay hashable for caches.
    translations: Mapping[str, Translation] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    @property
    def item_count(self) -> int:
        return len(self.items)

    def item(self, number: int) -> Item:
        if isinstance(number, bool) or not isinstance(number, int):
            raise KeyError(number)
        if not 1 <= number <= len(self.items):
            raise KeyError(number)
        return self.items[number - 1]

    @cached_property
    def subscale_items(self) -> Mapping[str, tuple[Item, ...]]:
        return MappingProxyType(
            {name: tuple(i for i in self.items if i.subscale == name) for name in SUBSCALES}
        )

    def translation(self, language: str | None) -> Translation | None:
        """The translation for a language code, falling back from "de-at" to "de"."""
        if not language:
            return None
        code = language.lower().replace("_", "-")
        while code:
            if code in self.translations:
                return self.translations[code]
            code = code.rpartition("-")[0]
        return None

    def item_texts(self, language: str | None = None) -> tuple[str, ...]:
        translation = self.translation(language)
        if translation is not None:
            return translation.items
        return tuple(item.text for item in self.items)

    def scale_labels(self, language: str | None = None) -> tuple[str, ...]:
        translation = self.translation(language)
        if translation is not None and translation.scale_labels is not None:
            return translation.scale_labels
        return self.scale.labels


def render_item_text(
    text: str, therapist_name: str | None, *, fallback: str = DEFAULT_THERAPIST_FALLBACK
) -> str:
    """Put the rated therapist's name where the paper form has a blank.

    Without a name the fallback ("my therapist") is used, capitalised where the
    placeholder opens the sentence ("{therapist} and I ..." -> "My therapist and I ...").
    """
    name = (therapist_name or "").strip()
    if name:
        return text.replace(THERAPIST_PLACEHOLDER, name)
    if text.startswith(THERAPIST_PLACEHOLDER) and fallback:
        opening = fallback[0].upper() + fallback[1:]
        text = opening + text[len(THERAPIST_PLACEHOLDER) :]
    return text.replace(THERAPIST_PLACEHOLDER, fallback)


class Registry:
    """The loaded forms, by code. Immutable once built."""

    def __init__(self, forms: Mapping[str, Form]) -> None:
        self._forms = MappingProxyType(dict(forms))

    @classmethod
    def load(
        cls, extra_dir: Path | str | None = None, *, builtin_dir: Path = BUILTIN_DIR
    ) -> Registry:
        """Load the built-in forms, then a clinic's folder of forms and translations."""
        builtin = sorted(Path(builtin_dir).glob("*.json"))
        extra: list[Path] = []
        if extra_dir is not None and str(extra_dir) != "":
            folder = Path(extra_dir)
            if not folder.is_dir():
                raise InstrumentError(folder, "the instruments folder does not exist")
            extra = sorted(folder.glob("*.json"))

        forms: dict[str, Form] = {}
        overlays: list[tuple[Path, dict[str, Any]]] = []
        for path in [*builtin, *extra]:
            data = _read_json(path)
            if path in extra and "items" not in data and set(data) <= set(_OVERLAY_FIELDS):
                # A clinic file with only a code and translations adds translations to a
                # form defined elsewhere; anything else is read as a whole form.
                overlays.append((path, data))
                continue
            form = _parse_form(path, data)
            if form.code in forms:
                raise InstrumentError(
                    path, f"form {form.code!r} is already defined in {forms[form.code].source_file}"
                )
            forms[form.code] = form

        # Translations are applied after every form is known, so a translation file may
        # sort before the clinic's own form file it translates.
        for path, data in overlays:
            _check_fields(path, data, _OVERLAY_FIELDS, "a translation file")
            code = data["code"]
            if not isinstance(code, str) or code not in forms:
                raise InstrumentError(path, f"translations for unknown form {code!r}")
            form = forms[code]
            added = _parse_translations(path, data["translations"], form)
            clash = sorted(set(added) & set(form.translations))
            if clash:
                where = form.translations[clash[0]].source_file
                raise InstrumentError(
                    path, f"translation {clash[0]!r} of {code} is already defined in {where}"
                )
            forms[code] = replace(
                form, translations=MappingProxyType({**form.translations, **added})
            )
        return cls(forms)

    def get(self, code: str) -> Form:
        try:
            return self._forms[code]
        except (KeyError, TypeError):
            raise KeyError(code) from None

    def codes(self) -> tuple[str, ...]:
        return tuple(self._forms)

    def forms(self) -> tuple[Form, ...]:
        return tuple(self._forms.values())

    def __contains__(self, code: object) -> bool:
        return code in self._forms

    def __iter__(self) -> Iterator[str]:
        return iter(self._forms)

    def __len__(self) -> int:
        return len(self._forms)


# --- the process-wide registry -----------------------------------------------------------
_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The registry, loaded once (built-in forms only unless configure_registry ran)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry.load()
    return _registry


def configure_registry(extra_dir: Path | str | None) -> Registry:
    """Load the built-in forms plus a clinic folder and make that the registry."""
    global _registry
    registry = Registry.load(extra_dir)
    with _lock:
        _registry = registry
    return registry


def reset_registry() -> None:
    """Forget the loaded registry (tests); the next get_registry() loads again."""
    global _registry
    with _lock:
        _registry = None


# --- parsing and validation --------------------------------------------------------------
def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.load keeps the last of two equal keys silently; a label or item text given
    # twice is a mistake worth stopping for.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _read_json(path: Path) -> dict[str, Any]:
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


def _check_fields(path: Path, data: dict[str, Any], spec: dict[str, bool], what: str) -> None:
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
    _check_fields(path, raw, _SCALE_FIELDS, "the scale")
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
    _check_fields(path, raw, _ITEM_FIELDS, what)
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


def _parse_form(path: Path, data: dict[str, Any]) -> Form:
    _check_fields(path, data, _FORM_FIELDS, "the form")
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
    )
    if "translations" in data:
        translations = _parse_translations(path, data["translations"], form)
        form = replace(form, translations=MappingProxyType(translations))
    return form


def _parse_translations(path: Path, raw: Any, form: Form) -> dict[str, Translation]:
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
    _check_fields(path, raw, _TRANSLATION_FIELDS, what)
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
