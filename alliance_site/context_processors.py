"""Values every template may need."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info


def interface_languages(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """The interface languages, each named in itself ("Deutsch"), for the switch."""
    languages = []
    for code, name in settings.LANGUAGES:
        try:
            local = get_language_info(code)["name_local"]
        except KeyError:  # a code Django has no name for: use the settings' name
            local = str(name)
        languages.append((code, local))
    return {"interface_languages": languages}
