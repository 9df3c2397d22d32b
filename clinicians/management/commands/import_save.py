"""Save a confirmed import by hand (task `alliance.import_save`), e.g. after a broker
outage. Only a batch an admin confirmed (status "saving") is saved; anything else is
left alone, so running it twice saves once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clinicians.services.imports import patients_import_save


class Command(BaseCommand):
    help = "Save the new clients of a confirmed import batch (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = patients_import_save(batch_id=options["batch_id"])
        if batch is None:
            self.stdout.write("Nothing to save: the batch is not waiting to be saved.")
        else:
            self.stdout.write(f"Saved {batch.created_count} new clients.")
