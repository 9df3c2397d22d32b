"""This app's settings, each with a default so that a fresh clone needs none of them.

Each is read from Django's settings when `alliance_site/settings.py` defines it, and
otherwise from the environment variable of the same name, then the default here.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages


def _setting(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "").strip() or None
    return default if value is None else value


def _whole(name: str, default: int) -> int:
    value = _setting(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def export_stream_max_rows() -> int:
    """Exports up to this many questionnaires download at once (streamed); bigger ones
    run as a background job with a progress page."""
    return _whole("ALLIANCE_EXPORT_STREAM_MAX_ROWS", 100_000)


def export_keep_hours() -> int:
    return _whole("ALLIANCE_EXPORT_KEEP_HOURS", 24)


def api_rate_per_minute() -> int:
    return _whole("ALLIANCE_API_RATE_PER_MINUTE", 120)


def base_url() -> str:
    return str(_setting("ALLIANCE_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def export_storage() -> Storage:
    """The named storage of finished export files (`STORAGES["exports"]`): writes,
    downloads and deletions all go through it, so a shared or S3-compatible storage
    works the same on every app server."""
    return storages["exports"]
