"""What a form is: its scale, items and translations, as frozen dataclasses.

Pure Python: nothing here imports Django (see `registry` for how forms are loaded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

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
    # The form of the other rater built to pair with this one item by item (same items,
    # same key), so that client and therapist ratings of a session can be compared.
    pairs_with: str = ""
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
