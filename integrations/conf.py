"""This app's settings, each with a default so that a fresh clone needs none of them.

Each is read from Django's settings when `alliance_site/settings.py` defines it, and
otherwise from the environment variable of the same name, then the default here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


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


def export_dir() -> Path:
    """Where finished background exports wait for their download (24 hours at most).

    Several app servers need a shared folder here; one server can use the default.
    """
    configured = str(_setting("ALLIANCE_EXPORT_DIR", ""))
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "alliance-exports"


def export_storage() -> Storage:
    """The storage that holds finished export files; deletions go through it (never
    through os calls), so that a shared or S3-compatible storage works the same."""
    return FileSystemStorage(
        location=str(export_dir()), file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def export_keep_hours() -> int:
    return _whole("ALLIANCE_EXPORT_KEEP_HOURS", 24)


def export_in_thread() -> bool:
    """Start a background export in a thread of the web process at once. `manage.py
    run_exports` (cron) runs whatever is still queued either way, so a job survives a
    restart; tests switch the thread off and run the command."""
    value = _setting("ALLIANCE_EXPORT_IN_THREAD", True)
    if isinstance(value, str):
        return value.lower() not in {"0", "false", "no", "off"}
    return bool(value)


def api_rate_per_minute() -> int:
    return _whole("ALLIANCE_API_RATE_PER_MINUTE", 120)


def base_url() -> str:
    return str(_setting("ALLIANCE_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
