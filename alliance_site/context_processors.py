"""Values every template may need."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info


def second_factor(request: HttpRequest) -> dict[str, Any]:
    # The demo notice on every page while the second factor is switched off.
    return {"second_factor_off": not settings.ALLIANCE_REQUIRE_2FA}


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
