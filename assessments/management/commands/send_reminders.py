from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assessments.questionnaires.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Send one reminder email for each open questionnaire that was emailed and not "
        "answered within the clinic's reminder delay. Run it from cron; safe to run twice. "
        "An email that cannot be sent is recorded on its questionnaire and the run goes on; "
        "the command exits 1 only when at least one failed, after trying all."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = reminders_send()
        self.stdout.write(f"Reminders sent: {run.sent}, failed: {run.failed}")
        if run.failed:
            # Non-zero so cron or monitoring notices; every other reminder was sent.
            raise CommandError(
                f"{run.failed} reminders could not be sent; each is recorded on its "
                "questionnaire and in the audit log."
            )
