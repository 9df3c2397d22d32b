"""Benchmark: importing a spreadsheet of clients (check, then confirm and save).

    .venv/bin/python bench/bench_import.py [--rows 10000] [--repeat 3] [--database sqlite]
    .venv/bin/python bench/bench_import.py --database \\
        postgres://postgres@127.0.0.1:5432/alliance_bench_import

It builds a throwaway database (a temporary SQLite file, or the named PostgreSQL
database, dropped and created anew - never point it at real data), migrates it, makes
one clinic with an admin and two therapists, then imports `--rows` new clients from a
CSV file `--repeat` times (each time with fresh codes), through the same services the
console's upload and confirm use:

check: reading and checking the file, storing the preview (what the upload waits for).
save: the confirmed batch saved in one transaction (what the worker does).
Queries: SQL statements of the save (bulk inserts, not one per row).

The target the product asks for is 10,000 rows end to end in under 10 seconds. It is a
figure for this script, not a timed unit test: the suite pins the import's correctness
and its query count, which do not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_exports import fresh_database, setup_django  # noqa: E402


def csv_file(count: int, prefix: str, therapists: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name", "email", "language", "therapist_email"])
    for i in range(count):
        writer.writerow(
            [f"{prefix}-{i:05d}", f"Client {i}", f"c{i}@example.test", "en", therapists[i % 2]]
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    if args.database == "sqlite":
        path = Path(tempfile.gettempdir()) / "alliance_bench_import.sqlite3"
        path.unlink(missing_ok=True)
        setup_django(f"sqlite:///{path}")
    else:
        setup_django(fresh_database(args.database))

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinicians import services
    from clinicians.models import Clinic, Patient, Role, User

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench")
    admin = User.objects.create_user(
        email="admin@bench.test", clinic=clinic, role=Role.ADMIN, display_name="Admin"
    )
    therapists = [
        User.objects.create_user(
            email=f"t{i}@bench.test", clinic=clinic, role=Role.THERAPIST, display_name=f"T{i}"
        ).email
        for i in range(2)
    ]
    print(
        f"import of {args.rows:,} new clients, {connection.vendor}, "
        f"Python {platform.python_version()}, {args.repeat} runs"
    )
    totals: list[float] = []
    for run in range(args.repeat):
        data = csv_file(args.rows, f"R{run}", therapists)
        started = time.perf_counter()
        batch = services.patients_import_check(actor=admin, filename="bench.csv", data=data)
        checked = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            services.patients_import(actor=admin, batch=batch)
        finished = time.perf_counter()
        totals.append(finished - started)
        print(
            f"run {run + 1}: check {checked - started:.2f} s, save {finished - checked:.2f} s, "
            f"total {finished - started:.2f} s, {len(queries)} queries in the save, "
            f"{args.rows / (finished - started):,.0f} rows/s"
        )
    print(
        f"median total {statistics.median(totals):.2f} s "
        f"(target < 10 s); clients now {Patient.objects.count():,}"
    )


if __name__ == "__main__":
    main()
