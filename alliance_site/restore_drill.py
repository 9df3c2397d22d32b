"""The restore drill: back up, restore into a fresh database, and prove it is the same.

1. Take a dump inside an exported snapshot, and measure every table (row count and an
   order-independent checksum of every row) in that same snapshot, so the comparison is
   exact even while the source keeps changing.
2. Restore the dump into a new database `alliance_drill_<random>`.
3. Measure every table there and compare.
4. Against the restored database: re-score every stored response from its answers with
   the scoring engine and compare with the stored scores; sign a clinic admin in and
   open a client's page.
5. Drop the drill database, whatever happened.
"""

from __future__ import annotations

import math
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from .backups import create_database, database_settings, drop_database, dump, restore

# Order-independent: the sum of a 60-bit hash of each row's text. Constant memory on
# the server however big the table; any changed, lost or added row changes it.
TABLE_FIGURES = (
    "SELECT count(*), "
    "coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text "
    'FROM "{table}" t'
)
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


@dataclass
class DrillReport:
    tables: int = 0
    rows: int = 0
    dump_bytes: int = 0
    table_mismatches: list[str] = field(default_factory=list)
    responses: int = 0
    score_mismatches: list[str] = field(default_factory=list)
    page: str = ""
    page_ok: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    database: str = ""

    @property
    def passed(self) -> bool:
        return (
            self.tables > 0
            and not self.table_mismatches
            and not self.score_mismatches
            and self.page_ok
        )

    def lines(self) -> list[str]:
        s = self.seconds
        return [
            f"dump: {self.dump_bytes:,} bytes in {s.get('dump', 0):.2f} s",
            f"restore into {self.database}: {s.get('restore', 0):.2f} s",
            f"tables compared: {self.tables}, rows: {self.rows:,}, "
            f"mismatched tables: {len(self.table_mismatches)} "
            f"({s.get('compare', 0):.2f} s)",
            *[f"  MISMATCH table {t}" for t in self.table_mismatches],
            f"responses re-scored: {self.responses:,}, score mismatches: "
            f"{len(self.score_mismatches)} ({s.get('rescore', 0):.2f} s)",
            *[f"  MISMATCH {m}" for m in self.score_mismatches[:20]],
            f"sign-in and client page: {'ok' if self.page_ok else 'FAILED'} ({self.page})",
            f"total: {s.get('total', 0):.2f} s",
            f"RESULT: {'PASS' if self.passed else 'FAIL'}",
        ]


def _connect(name: str | None = None) -> Any:
    import psycopg2

    db = database_settings()
    return psycopg2.connect(
        dbname=name or db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )


def table_figures(cursor: Any) -> dict[str, tuple[int, str]]:
    cursor.execute(TABLES)
    names = [row[0] for row in cursor.fetchall()]
    figures = {}
    for name in names:
        cursor.execute(TABLE_FIGURES.format(table=name.replace('"', '""')))
        count, checksum = cursor.fetchone()
        figures[name] = (int(count), str(checksum))
    return figures


@contextmanager
def _timed(report: DrillReport, step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.seconds[step] = report.seconds.get(step, 0) + time.monotonic() - started


@contextmanager
def _default_database(name: str) -> Iterator[None]:
    """Point Django's default connection at database `name` for the block."""
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def rescore(report: DrillReport, chunk: int = 5000) -> None:
    """Score every stored response again from its answers; compare every figure.

    Plain values, a chunk of responses and their answers at a time (two queries per
    chunk): model instances for half a million answers would cost more than scoring.
    """
    from assessments.models import Answer, Response
    from assessments.scoring.sheet import FIGURE_COLUMNS, ScoringError, score

    fields = ("pk", "administration__form_code", *FIGURE_COLUMNS)
    last = 0
    while True:
        rows = list(
            Response.objects.filter(pk__gt=last).order_by("pk").values_list(*fields)[:chunk]
        )
        if not rows:
            return
        last = rows[-1][0]
        answers: dict[int, dict[int, int | None]] = {row[0]: {} for row in rows}
        for response_id, item, value in Answer.objects.filter(
            response_id__in=list(answers)
        ).values_list("response_id", "item", "value"):
            answers[response_id][item] = value
        for pk, form_code, *stored_figures in rows:
            report.responses += 1
            try:
                result = score(form_code, answers[pk])
            except ScoringError as exc:
                report.score_mismatches.append(f"response {pk}: {exc}")
                continue
            parts = {"goal": result.goal, "task": result.task, "bond": result.bond}
            parts["total"] = result.total
            for column, stored in zip(FIGURE_COLUMNS, stored_figures, strict=True):
                part, figure = column.split("_")
                fresh = getattr(parts[part], figure)
                same = (fresh is None and stored is None) or (
                    fresh is not None and stored is not None and math.isclose(fresh, stored)
                )
                if not same:
                    report.score_mismatches.append(
                        f"response {pk} {column}: stored {stored}, scored {fresh}"
                    )


def signed_in_client(user: Any) -> Client:
    """A browser signed in as `user`. Kept apart so a second factor can be added here."""
    browser = Client()
    browser.force_login(user)
    return browser


def open_client_page(report: DrillReport) -> None:
    from clinicians.models import Patient, Role, User

    admin = User.objects.filter(role=Role.ADMIN, is_active=True, clinic__isnull=False).first()
    if admin is None:
        report.page = "no clinic admin in the database"
        return
    patient = (
        Patient.objects.filter(clinic_id=admin.clinic_id, administrations__isnull=False)
        .order_by("pk")
        .first()
        or Patient.objects.filter(clinic_id=admin.clinic_id).order_by("pk").first()
    )
    if patient is None:
        report.page = "no client in the admin's clinic"
        return
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    browser = signed_in_client(admin)
    url = reverse("assessments:client", args=[patient.pk])
    response = browser.get(url)
    body = response.content.decode(errors="replace")
    report.page_ok = response.status_code == 200 and patient.code in body
    report.page = f"{url} as {admin.email}: {response.status_code}"


def run_drill(
    *,
    key: bytes,
    source_dump: Path | None = None,
    keep: bool = False,
    name: str | None = None,
    say: Callable[[str], None] = print,
) -> DrillReport:
    report = DrillReport()
    started = time.monotonic()
    report.database = name or f"alliance_drill_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory(prefix="alliance-drill-") as folder:
        snapshot_conn = _connect()
        try:
            if source_dump is None:
                snapshot_conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
                with snapshot_conn.cursor() as cursor:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                    target = Path(folder) / "drill.dump.enc"
                    with _timed(report, "dump"):
                        report.dump_bytes = dump(target, key, snapshot=snapshot)
                    with _timed(report, "compare"):
                        source = table_figures(cursor)
            else:
                say(
                    "Comparing with the source as it is now: anything written since the "
                    "dump shows as a mismatch."
                )
                target = source_dump
                with snapshot_conn.cursor() as cursor, _timed(report, "compare"):
                    source = table_figures(cursor)
        finally:
            snapshot_conn.close()

        create_database(report.database)
        try:
            with _timed(report, "restore"):
                size = restore(target, key, into=report.database)
            report.dump_bytes = report.dump_bytes or size
            restored_conn = _connect(report.database)
            try:
                with restored_conn.cursor() as cursor, _timed(report, "compare"):
                    restored = table_figures(cursor)
            finally:
                restored_conn.close()
            report.tables = len(source)
            report.rows = sum(count for count, _ in source.values())
            report.table_mismatches = sorted(
                name
                for name in set(source) | set(restored)
                if source.get(name) != restored.get(name)
            )
            with _default_database(report.database):
                with _timed(report, "rescore"):
                    rescore(report)
                with _timed(report, "page"):
                    open_client_page(report)
        finally:
            connections.close_all()
            if keep:
                say(f"Kept the drill database {report.database}.")
            else:
                drop_database(report.database)
    report.seconds["total"] = time.monotonic() - started
    return report
