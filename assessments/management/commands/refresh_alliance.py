from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.alliance.summaries import refresh_all
from assessments.questionnaires import throttle


class Command(BaseCommand):
    help = (
        "Re-estimate each clinic's norms (per form: SD and reliability from one "
        "questionnaire per client, pooled SD of changes) and rebuild every client's "
        "alliance summary. The scheduler runs it nightly (task alliance.refresh); "
        "idempotent, safe to run late or twice at once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in refresh_all():
            self.stdout.write(line)
        self.stdout.write(f"Old rate-limit counters removed: {throttle.sweep()}")
