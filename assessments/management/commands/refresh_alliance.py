from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.alliance.summaries import refresh_alliance, refresh_norms
from assessments.questionnaires import throttle
from clinicians.models import Clinic, Patient

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Re-estimate each clinic's norms (per form: SD and reliability from one "
        "questionnaire per client, pooled SD of changes) and rebuild every client's "
        "alliance summary. Run nightly from cron; idempotent, safe to run late."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for clinic in Clinic.objects.order_by("pk"):
            norms = refresh_norms(clinic_id=clinic.pk)
            ids = list(Patient.objects.filter(clinic=clinic).values_list("pk", flat=True))
            for start in range(0, len(ids), BATCH):
                refresh_alliance(patient_ids=ids[start : start + BATCH])
            described = ", ".join(
                f"{n.form_code} clients={n.n} sd={n.sd_pomp or 0:.1f} "
                f"alpha={n.alpha or 0:.2f} change_sd={n.change_sd_pomp or 0:.1f}"
                for n in norms
            )
            self.stdout.write(f"{clinic.slug}: {len(ids)} clients; norms: {described or 'none'}")
        self.stdout.write(f"Old rate-limit counters removed: {throttle.sweep()}")
