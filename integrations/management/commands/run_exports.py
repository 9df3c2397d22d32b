"""Write queued background exports and tidy up old ones (task `alliance.exports`).

Safe to run twice at once (a job is claimed by one UPDATE that only one process can
win), safe to run late (a job whose process died is queued again after 10 minutes
without progress), and idempotent (nothing waiting: nothing done).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations.services import export_jobs_run_queued, export_jobs_sweep


class Command(BaseCommand):
    help = "Write queued background exports; requeue abandoned ones; delete expired files."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = export_jobs_sweep()
        ran = export_jobs_run_queued()
        self.stdout.write(
            f"exports run: {ran}, requeued: {swept['requeued']}, expired: {swept['expired']}"
        )
