from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.schedules.runner import schedules_run


class Command(BaseCommand):
    help = (
        "Ask for every scheduled questionnaire that is due and email those waiting to be "
        "sent (what the scheduler's 'schedules' task does). Safe to run twice at once and "
        "again after a crash: a due time is asked for once and emailed at most once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = schedules_run()
        self.stdout.write(
            f"Scheduled questionnaires due: {run.fired}, emailed: {run.sent}, failed: {run.failed}"
        )
