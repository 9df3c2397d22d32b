from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.questionnaires.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Send one reminder email for each open questionnaire that was emailed and not "
        "answered within the clinic's reminder delay. Run it from cron; safe to run twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"Reminders sent: {sent}")
