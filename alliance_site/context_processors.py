"""Values every template may need."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def second_factor(request: HttpRequest) -> dict[str, Any]:
    # The demo notice on every page while the second factor is switched off.
    return {"second_factor_off": not settings.ALLIANCE_REQUIRE_2FA}
