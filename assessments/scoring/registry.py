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

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .definitions import (
    BUILTIN_DIR,
    Form,
    InstrumentError,
)
from .parsing import (
    OVERLAY_FIELDS,
    check_fields,
    check_pairs,
    parse_form,
    parse_translations,
    read_json,
)


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
            data = read_json(path)
            if path in extra and "items" not in data and set(data) <= set(OVERLAY_FIELDS):
                # A clinic file with only a code and translations adds translations to a
                # form defined elsewhere; anything else is read as a whole form.
                overlays.append((path, data))
                continue
            form = parse_form(path, data)
            if form.code in forms:
                raise InstrumentError(
                    path, f"form {form.code!r} is already defined in {forms[form.code].source_file}"
                )
            forms[form.code] = form

        # Translations are applied after every form is known, so a translation file may
        # sort before the clinic's own form file it translates.
        for path, data in overlays:
            check_fields(path, data, OVERLAY_FIELDS, "a translation file")
            code = data["code"]
            if not isinstance(code, str) or code not in forms:
                raise InstrumentError(path, f"translations for unknown form {code!r}")
            form = forms[code]
            added = parse_translations(path, data["translations"], form)
            clash = sorted(set(added) & set(form.translations))
            if clash:
                where = form.translations[clash[0]].source_file
                raise InstrumentError(
                    path, f"translation {clash[0]!r} of {code} is already defined in {where}"
                )
            forms[code] = replace(
                form, translations=MappingProxyType({**form.translations, **added})
            )
        check_pairs(forms)
        return cls(forms)

    def get(self, code: str) -> Form:
        try:
            return self._forms[code]
        except (KeyError, TypeError):
            raise KeyError(code) from None

    def pair_of(self, code: str) -> str | None:
        """The form built to pair with `code` (declared in either file), or None."""
        form = self._forms.get(code)
        if form is None:
            return None
        if form.pairs_with:
            return form.pairs_with
        return next((f.code for f in self._forms.values() if f.pairs_with == code), None)

    def are_paired(self, client_form: str, therapist_form: str) -> bool:
        return bool(client_form) and self.pair_of(client_form) == therapist_form

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
