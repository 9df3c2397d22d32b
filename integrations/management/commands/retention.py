"""Stop keeping what is no longer needed. For cron (nightly) or the task queue.

Runs every retention job: import batches lose names and emails after
ALLIANCE_IMPORT_RETENTION_DAYS (30); expired sessions go; export files go after
ALLIANCE_EXPORT_KEEP_HOURS (24); audit lines go after ALLIANCE_AUDIT_RETENTION_YEARS (6,
never fewer). One job failing does not stop the others; the command then exits 1.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinicians.retention import audit_prune, import_batches_forget, sessions_clear
from integrations.services import export_files_expire

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[[], int]] = {
    "import batches forgotten": import_batches_forget,
    "expired sessions cleared": sessions_clear,
    "export files deleted": export_files_expire,
    "audit lines pruned": audit_prune,
}


class Command(BaseCommand):
    help = "Run the retention jobs: imports, sessions, export files, audit log."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        for name, job in JOBS.items():
            try:
                count = job()
            except Exception:
                log.exception("retention job %r failed", name)
                failed.append(name)
                self.stderr.write(f"{name}: FAILED")
            else:
                self.stdout.write(f"{name}: {count}")
        if failed:
            raise CommandError(f"{len(failed)} retention job(s) failed: {', '.join(failed)}")
