"""Stop keeping what is no longer needed: every retention job (integrations.retention).

The scheduler runs the same as the nightly task `alliance.retention`; this command is
for cron where there is no task queue. One job failing does not stop the others; the
command then exits 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.retention import RetentionFailed, retention_run


class Command(BaseCommand):
    help = "Run the retention jobs: imports, sessions, export files, audit log."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lines = retention_run()
        except RetentionFailed as exc:
            self.stderr.write(str(exc))
            raise CommandError(str(exc)) from exc
        for line in lines:
            self.stdout.write(line)
