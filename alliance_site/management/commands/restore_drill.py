"""The restore drill (see `alliance_site/restore_drill.py`): exits 1 on any mismatch.

python manage.py restore_drill            # a fresh dump, compared exactly
python manage.py restore_drill --latest   # the newest file in ALLIANCE_BACKUP_DIR
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_site.backup_crypto import KEY_ENV, BackupError, parse_key
from alliance_site.backups import latest_backup
from alliance_site.restore_drill import run_drill


class Command(BaseCommand):
    help = "Back up, restore into a fresh database, compare tables and scores, open a page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dump", help="restore this backup file instead of a fresh dump")
        parser.add_argument("--latest", action="store_true", help="restore the newest backup")
        parser.add_argument("--keep", action="store_true", help="keep the drill database")
        parser.add_argument(
            "--name", help="the drill database's name (default: alliance_drill_<random>)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = parse_key(os.environ.get(KEY_ENV))
            source = (
                latest_backup()
                if options["latest"]
                else (Path(options["dump"]) if options["dump"] else None)
            )
            report = run_drill(
                key=key,
                source_dump=source,
                keep=options["keep"],
                name=options["name"],
                say=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("restore drill")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if not report.passed:
            raise CommandError("The restore drill found differences (see above).")
