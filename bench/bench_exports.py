"""Benchmark: exporting 100,000 questionnaires as CSV, XLSX and FHIR NDJSON.

    .venv/bin/python bench/bench_exports.py [--rows 100000] [--database sqlite]
    .venv/bin/python bench/bench_exports.py --database \\
        postgres://postgres@127.0.0.1:5432/alliance_bench_exports

It builds a throwaway database (a temporary SQLite file, or the named PostgreSQL
database, dropped and created anew - never point it at real data), migrates it and
fills one clinic with `--rows` completed WAI-SR questionnaires (12 answers each, scored
with the real engine) in bulk. Then each export runs in a fresh child process, as the
clinic admin would get it (the same ExportData and writers the download uses), writing
into a byte counter:

Time: wall clock of the whole export (queries, rows, encoding), and rows/s.
Memory: the child's peak RSS (VmHWM, reset just before) and its rise over the RSS at
the start of the export (Django, the registry and pandas already loaded), for
the full export and for one tenth of it: constant memory shows as the same figure.
Queries: how many SQL statements the export made (constant plus one per 2,000 rows).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
START = date(2023, 1, 1)
DAYS = 1000


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent into a child.
    return _status_mb("VmHWM")


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_site.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def fresh_database(url: str) -> str:
    if url == "sqlite":
        path = Path(tempfile.gettempdir()) / "alliance_bench_exports.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    if not name.startswith("alliance_bench"):
        sys.exit("refusing: the PostgreSQL database name must start with alliance_bench")
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return url


def seed(rows: int) -> None:
    import numpy as np
    import pandas as pd
    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import Administration, Answer, Response
    from assessments.scoring.frame import score_frame
    from assessments.scoring.sheet import FIGURE_COLUMNS
    from clinicians.models import CaseAssignment, Clinic, Patient, Role, User

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench")
    User.objects.create_user(
        email="admin@bench.test", clinic=clinic, role=Role.ADMIN, display_name="Admin"
    )
    therapists = User.objects.bulk_create(
        User(email=f"t{i}@bench.test", clinic=clinic, role=Role.THERAPIST, display_name=f"T {i}")
        for i in range(50)
    )
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, code=f"C-{i:06d}", display_name=f"Client {i}")
        for i in range(max(1, rows // 10))
    )
    CaseAssignment.objects.bulk_create(
        CaseAssignment(patient=p, therapist=therapists[i % 50]) for i, p in enumerate(patients)
    )
    rng = np.random.default_rng(7)
    answers = pd.DataFrame(
        {f"item_{n}": rng.integers(1, 6, size=rows) for n in range(1, 13)}, dtype="int64"
    )
    scores = score_frame("wai-sr-client", answers)
    now = timezone.now()
    step = 10_000
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        administrations = Administration.objects.bulk_create(
            Administration(
                clinic=clinic,
                patient=patients[i % len(patients)],
                therapist=therapists[i % len(patients) % 50],
                form_code="wai-sr-client",
                rater="client",
                occasion="session",
                session_number=i // len(patients) + 1,
                session_date=START + timedelta(days=i * DAYS // rows),
                status="completed",
                created_by=therapists[0],
                created_at=now,
                expires_at=now,
                completed_at=now,
            )
            for i in range(start, stop)
        )
        figures = scores.iloc[start:stop]
        responses = Response.objects.bulk_create(
            Response(
                administration=a,
                channel="link",
                submitted_at=now + timedelta(seconds=start + k),
                answered=12,
                items=12,
                complete=True,
                prorated=False,
                **{c: float(figures[c].iloc[k]) for c in FIGURE_COLUMNS},
            )
            for k, a in enumerate(administrations)
        )
        block = answers.iloc[start:stop].to_numpy()
        Answer.objects.bulk_create(
            (
                Answer(response=r, item=n + 1, value=int(block[k, n]))
                for k, r in enumerate(responses)
                for n in range(12)
            ),
            batch_size=20_000,
        )
        print(f"  seeded {stop:,} questionnaires", file=sys.stderr)
    # Planner statistics, as autovacuum would gather them on a live database.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def child(fmt: str, tenth: bool, pseudonymised: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinicians.models import User
    from integrations.exports.rows import ExportData, ExportFilters
    from integrations.exports.writers import export_bytes

    admin = User.objects.get(email="admin@bench.test")
    date_to = START + timedelta(days=DAYS // 10 - 1) if tenth else None
    data = ExportData(
        user=admin, filters=ExportFilters(date_to=date_to, pseudonymised=pseudonymised)
    )
    reset_peak()
    before = rss_mb()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        rows = data.count()
        data.prepare()
        size = sum(len(part) for part in export_bytes(data, fmt))
    seconds = time.perf_counter() - started
    return {
        "format": fmt,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "mb_out": round(size / 2**20, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "export_rss_mb": round(peak_rss_mb() - before, 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a postgres:// URL')
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of the last run (no seeding)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tenth", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pseudonymised", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup_django(args.database)
        print(json.dumps(child(args.child, args.tenth, args.pseudonymised)))
        return

    if args.reuse:
        url = args.database
        if url == "sqlite":
            url = f"sqlite:///{Path(tempfile.gettempdir()) / 'alliance_bench_exports.sqlite3'}"
    else:
        url = fresh_database(args.database)
    setup_django(url)
    from django.db import connection

    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{connection.vendor}, {os.cpu_count()} cores",
        file=sys.stderr,
    )
    if not args.reuse:
        started = time.perf_counter()
        seed(args.rows)
        print(f"  seeding took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    connection.close()

    header = f"{'format':8} {'rows':>8} {'s':>6} {'rows/s':>8} {'MB out':>7} "
    header += f"{'peak RSS':>9} {'export RSS':>10} {'queries':>8}"
    print(header)
    for fmt in ("csv", "xlsx", "ndjson"):
        for tenth in (False, True):
            command = [sys.executable, __file__, "--database", url, "--child", fmt]
            if tenth:
                command.append("--tenth")
            if fmt == "xlsx":
                command.append("--pseudonymised")  # the researcher's file
            out = subprocess.run(command, check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['format']:8} {r['rows']:>8,} {r['seconds']:>6} {r['rows_per_s']:>8,} "
                f"{r['mb_out']:>7} {r['peak_rss_mb']:>8}M {r['export_rss_mb']:>9}M "
                f"{r['queries']:>8}"
            )


if __name__ == "__main__":
    main()
