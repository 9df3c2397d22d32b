"""Restore an encrypted backup into a new, empty PostgreSQL database.

    createdb alliance_restored
    python manage.py restore backups/alliance-20260101T020000Z.dump.enc --into alliance_restored
    python manage.py restore --latest --into alliance_restored

The whole file is checked with ALLIANCE_BACKUP_KEY before anything is restored; a wrong
key or a changed file is refused. Then run `migrate` against the restored database
(with DATABASE_URL pointing at it) in case this Alliance is newer than the backup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_site.backup_crypto import KEY_ENV, BackupError, parse_key
from alliance_site.backups import latest_backup, restore


class Command(BaseCommand):
    help = "Check an encrypted backup, then pg_restore it into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the backup file")
        parser.add_argument("--latest", action="store_true", help="the newest backup")
        parser.add_argument(
            "--into", required=True, help="name of the empty database to restore into"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            key = parse_key(os.environ.get(KEY_ENV))
            if options["latest"]:
                source = latest_backup()
            elif options["file"]:
                source = Path(options["file"])
            else:
                raise BackupError("Name the backup file, or give --latest.")
            size = restore(source, key, into=options["into"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored {source} into {options['into']} ({size:,} bytes of dump, "
            f"{time.monotonic() - started:.1f} s)."
        )
