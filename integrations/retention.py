"""Every retention job in one run: for the nightly task and `manage.py retention`.

Import batches lose names and emails after ALLIANCE_IMPORT_RETENTION_DAYS (30); expired
sessions go; export files go after ALLIANCE_EXPORT_KEEP_HOURS (24); audit lines go after
ALLIANCE_AUDIT_RETENTION_YEARS (6, never fewer). Here rather than in clinicians because
the export files belong to this app (clinicians never imports the apps above it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from clinicians.retention import audit_prune, import_batches_forget, sessions_clear

from .services import export_files_expire

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[[], int]] = {
    "import batches forgotten": import_batches_forget,
    "expired sessions cleared": sessions_clear,
    "export files deleted": export_files_expire,
    "audit lines pruned": audit_prune,
}


class RetentionFailed(RuntimeError):
    """One or more jobs failed; the others ran. The server log has each traceback."""


def retention_run() -> list[str]:
    """Run every job (one failing never stops the others); one line per job.

    Raises RetentionFailed after the last job when any failed, so that the scheduler
    retries and the console's Background work panel shows the failure.
    """
    lines, failed = [], []
    for name, job in JOBS.items():
        try:
            count = job()
        except Exception:
            log.exception("retention job %r failed", name)
            failed.append(name)
            lines.append(f"{name}: FAILED")
        else:
            lines.append(f"{name}: {count}")
    if failed:
        raise RetentionFailed(f"{len(failed)} retention job(s) failed: {', '.join(failed)}")
    return lines
