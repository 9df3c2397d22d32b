"""System checks: settings that are fine for a demo and wrong for a real clinic."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def second_factor_required(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy` fails when staff could sign in with a password alone."""
    if getattr(settings, "ALLIANCE_REQUIRE_2FA", True) or settings.DEBUG:
        return []
    return [
        Error(
            "ALLIANCE_REQUIRE_2FA is false: staff sign in with a password alone.",
            hint="Remove ALLIANCE_REQUIRE_2FA (it defaults to true); false is for the "
            "local demo only.",
            id="alliance.E001",
        )
    ]
