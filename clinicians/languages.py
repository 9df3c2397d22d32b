"""Which interface language a person gets.

A client's preferred language is free text from the clinic ("de", "de-at", "pt-br");
the interface exists only in settings.LANGUAGES. These helpers map one onto the other,
so that every client page and email picks the language the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def supported_language(code: str | None) -> str | None:
    """The interface language for a code, "de-at" falling back to "de"; None if none."""
    if not code:
        return None
    wanted = code.strip().lower().replace("_", "-")
    available = {c.lower() for c, _name in settings.LANGUAGES}
    if wanted in available:
        return wanted
    base = wanted.split("-")[0]
    return base if base in available else None


def client_language(code: str | None) -> str:
    """A client's interface language: their preferred one if we have it, else English."""
    return supported_language(code) or settings.LANGUAGE_CODE


def activate_for_request(request: object, code: str) -> None:
    """Switch this request's language (the page, its headers and later templates)."""
    translation.activate(code)
    request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
