"""Delete expired export files and old rate-limit counters (task `alliance.clean_up`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.questionnaires import throttle
from integrations.services import export_jobs_sweep


class Command(BaseCommand):
    help = "Delete expired export files (everywhere: shared storage) and old rate-limit counters."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = export_jobs_sweep()
        self.stdout.write(
            f"expired exports: {swept['expired']}, requeued: {swept['requeued']}, "
            f"old rate-limit counters removed: {throttle.sweep()}"
        )
