"""Score WAI answers from the command line: one answer sheet, or a CSV file in bulk.

    manage.py score FORM A1 ... AN            one sheet; "-" for a missing answer
    manage.py score --form FORM --csv IN [--output OUT]

The first prints one JSON object (null where unscored); the second writes the input
columns unchanged followed by the score columns. Any problem with the input ends the
command with a one-line message and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.scoring.definitions import Form
from assessments.scoring.sheet import SCORE_COLUMNS, ScoringError, resolve_form, score


def _one_line(message: object) -> str:
    # Parser errors from pandas span several lines; the contract is one line.
    return " ".join(str(message).split())


class Command(BaseCommand):
    help = (
        "Score Working Alliance Inventory answers. One sheet: score FORM A1 ... AN "
        '(use "-" for a missing answer) prints JSON. Many: score --form FORM --csv IN '
        "--output OUT scores a CSV with columns item_1 ... item_N (blank = missing)."
    )
    # Scoring needs no database and no project checks; skipping them keeps it quick.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "values",
            nargs="*",
            metavar="FORM A1 ... AN",
            help='the form code, then one answer per item in order; "-" when missing',
        )
        parser.add_argument("--form", help="the form code (required with --csv)")
        parser.add_argument("--csv", metavar="IN", help="a CSV file with item_1 ... item_N")
        parser.add_argument(
            "--output", metavar="OUT", help='where to write the scored CSV ("-" or none: stdout)'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        values: list[str] = options["values"]
        try:
            if options["csv"]:
                if values:
                    raise CommandError("give either answers or --csv, not both")
                if not options["form"]:
                    raise CommandError("--csv needs --form FORM")
                self._score_csv(options["form"], options["csv"], options["output"] or "-")
                return
            if options["output"]:
                raise CommandError("--output goes with --csv")
            if options["form"]:
                code, answers = options["form"], values
            elif values:
                code, answers = values[0], values[1:]
            else:
                raise CommandError(
                    "give a form and its answers (score wai-sr-client 5 4 - 3 ...) "
                    "or --form FORM --csv IN"
                )
            self._score_one(code, answers)
        except ScoringError as exc:
            raise CommandError(_one_line(exc)) from exc

    def _score_one(self, code: str, raw_answers: list[str]) -> None:
        form = resolve_form(code)
        if len(raw_answers) != form.item_count:
            raise CommandError(
                f"{form.code} has {form.item_count} items; got {len(raw_answers)} answers "
                '(use "-" for a missing one)'
            )
        answers: dict[int, int | None] = {}
        for number, text in enumerate(raw_answers, start=1):
            if text == "-":
                answers[number] = None
                continue
            try:
                answers[number] = int(text)
            except ValueError:
                raise CommandError(f"item {number}: {text!r} is not a whole number") from None
        result = score(form, answers)
        self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False))

    def _score_csv(self, code: str, source: str, target: str) -> None:
        # pandas is imported here: the single-sheet path should not wait for it.
        import pandas as pd

        from assessments.scoring.frame import score_frame

        form: Form = resolve_form(code)
        try:
            # Everything as text, nothing read as NA: the other columns must come out
            # exactly as they went in ("007" stays "007", "NA" stays "NA").
            table = pd.read_csv(
                source, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
            )
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
            raise CommandError(f"cannot read {source}: {_one_line(exc)}") from None
        clash = [name for name in SCORE_COLUMNS if name in table.columns]
        if clash:
            raise CommandError(
                f"{source} already has score columns ({', '.join(clash)}); remove them first"
            )
        scores = score_frame(form, table)
        scored = pd.concat([table, scores], axis=1)
        if target == "-":
            self.stdout.write(scored.to_csv(index=False, lineterminator="\n"), ending="")
            return
        try:
            scored.to_csv(Path(target), index=False, lineterminator="\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {_one_line(exc)}") from None
