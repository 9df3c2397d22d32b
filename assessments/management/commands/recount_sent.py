from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.alliance.counts import recount
from clinicians.models import Clinic


class Command(BaseCommand):
    help = (
        "Compare the clinic overview's kept counts (questionnaires sent by link and "
        "completed, per therapist and day) with a count over the questionnaires, and "
        "list any difference; exits with an error if there is one. --fix rebuilds them "
        "(also after filling a database in bulk without the services). Safe while the "
        "site runs: submissions wait for the rebuild's few seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="only this clinic (its short name)")
        parser.add_argument("--fix", action="store_true", help="rebuild the counts")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic with the short name {options['clinic']!r}.")
            ids = [clinic.pk]
        if options["fix"]:
            rows = recount.rebuild(ids)
            self.stdout.write(f"Counts rebuilt: {rows} rows.")
            return
        unmarked = recount.unmarked()
        if unmarked:
            self.stdout.write(
                f"{unmarked} questionnaire(s) have a link but are not marked as sent by link."
            )
        found = recount.drift(ids)
        for d in found:
            self.stdout.write(
                f"clinic {d.clinic_id}, therapist {d.therapist_id}, {d.day}: kept "
                f"{d.kept[0]} sent / {d.kept[1]} completed, counted {d.counted[0]} sent / "
                f"{d.counted[1]} completed"
            )
        if found or unmarked:
            raise CommandError("The kept counts differ from a recount; run with --fix.")
        self.stdout.write("Kept counts equal a recount: no drift.")
