"""Fixtures for the instrument and scoring tests (no database needed)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assessments.scoring import registry as registry_module

# A small but complete form: every subscale used, one reverse-keyed item.
MINIMAL_FORM: dict[str, Any] = {
    "code": "clinic-mini",
    "title": "A clinic's own four-item form",
    "short_title": "Mini",
    "rater": "client",
    "citation": "Written for these tests.",
    "provenance": "derived",
    "provenance_note": "Test data.",
    "copyright": "No rights reserved.",
    "scale": {"min": 1, "max": 5, "labels": {"1": "a", "2": "b", "3": "c", "4": "d", "5": "e"}},
    "reverse_items": [4],
    "items": [
        {"number": 1, "text": "{therapist} and I agree.", "subscale": "goal", "reverse": False},
        {"number": 2, "text": "The work helps.", "subscale": "task", "reverse": False},
        {"number": 3, "text": "I trust {therapist}.", "subscale": "bond", "reverse": False},
        {"number": 4, "text": "We disagree.", "subscale": "goal", "reverse": True},
    ],
}


@pytest.fixture
def form_data() -> dict[str, Any]:
    """A fresh, valid definition to edit into an invalid one."""
    return copy.deepcopy(MINIMAL_FORM)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, Any], Path]:
    folder = tmp_path / "instruments"
    folder.mkdir()

    def write(name: str, data: Any) -> Path:
        path = folder / name
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def instruments_dir(tmp_path: Path, write_json: Callable[[str, Any], Path]) -> Path:
    return tmp_path / "instruments"


@pytest.fixture
def restore_registry() -> Iterator[None]:
    """Put the process-wide registry back as it was after a test replaces it."""
    saved = registry_module._registry
    yield
    registry_module._registry = saved
