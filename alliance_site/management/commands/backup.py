"""Back up the PostgreSQL database, encrypted with ALLIANCE_BACKUP_KEY.

python manage.py backup                 # into ALLIANCE_BACKUP_DIR (./backups)
python manage.py backup --output FILE
python manage.py backup --new-key       # print a fresh key and exit
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_site.backup_crypto import KEY_ENV, BackupError, new_key, parse_key
from alliance_site.backups import backup_dir, default_name, dump


class Command(BaseCommand):
    help = "pg_dump the database (custom format) into an encrypted file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="file to write (default: a dated name)")
        parser.add_argument("--new-key", action="store_true", help=f"print a new {KEY_ENV}")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        started = time.monotonic()
        try:
            key = parse_key(os.environ.get(KEY_ENV))
            target = Path(options["output"]) if options["output"] else backup_dir() / default_name()
            size = dump(target, key)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        sealed = target.stat().st_size
        self.stdout.write(
            f"Backup written: {target} ({sealed:,} bytes encrypted, {size:,} bytes of dump, "
            f"{time.monotonic() - started:.1f} s). Copy it off this server."
        )
