"""This app's settings, each with a default so that a fresh clone needs none of them.

They are read with getattr so that `alliance_site/settings.py` may set them (from the
environment) without this app depending on them being there.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings


def export_stream_max_rows() -> int:
    """Exports up to this many questionnaires download at once (streamed); bigger ones
    run as a background job with a progress page."""
    return int(getattr(settings, "ALLIANCE_EXPORT_STREAM_MAX_ROWS", 100_000))


def export_dir() -> Path:
    """Where finished background exports wait for their download (24 hours at most).

    Several app servers need a shared folder here; one server can use the default.
    """
    configured = str(getattr(settings, "ALLIANCE_EXPORT_DIR", "") or "")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "alliance-exports"


def export_keep_hours() -> int:
    return int(getattr(settings, "ALLIANCE_EXPORT_KEEP_HOURS", 24))


def export_in_thread() -> bool:
    """Start a background export in a thread of the web process at once. `manage.py
    run_exports` (cron) runs whatever is still queued either way, so a job survives a
    restart; tests switch the thread off and run the command."""
    return bool(getattr(settings, "ALLIANCE_EXPORT_IN_THREAD", True))


def api_rate_per_minute() -> int:
    return int(getattr(settings, "ALLIANCE_API_RATE_PER_MINUTE", 120))


def base_url() -> str:
    return str(getattr(settings, "ALLIANCE_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
