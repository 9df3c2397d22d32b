"""Benchmark: the main pages served by gunicorn on PostgreSQL, measured with wrk.

    .venv/bin/python bench/bench_pages.py [--db alliance_bench] [--duration 15]
        [--connections 16] [--threads 2] [--workers 4] [--skip-seed]

What it does, in order (everything on 127.0.0.1; see docs/benchmarks.md for figures):

1. Database: drops and creates `--db` (its name must contain "bench"), migrates, and
   seeds it with `manage.py seed_load`, each run timed:
     load   - 50 therapists, 5,000 clients, 30 questionnaires each (the admin overview)
     home   - 1 therapist with 200 clients, 30 questionnaires each (therapist home)
     chart  - 1 client with 60 questionnaires (the client page)
     submit - 1,000 clients with 30 questionnaires each (questionnaire GET and submit)
     group  - 100 therapists, 10,000 clients, 12 questionnaires each (a clinic group:
              its overview, exports page and export status page)
   then gives every seeded questionnaire the (used) link it would have been sent by
   (and the overview's kept counts for them), asks 10 % of the clients of "load",
   "home" and "group" for a new questionnaire through the real service (so "waiting"
   lists and open-link flags have rows), and VACUUM ANALYZEs.
   --skip-seed keeps an existing database: it is migrated (a no-op when current) and
   any clinic above it lacks (a database seeded before "group" existed) is seeded the
   same way, the others left as they are; then step 2.
2. Per run: signed-in sessions for the three staff members (written the way a sign-in
   writes them); questionnaires an earlier run left open are withdrawn.
3. Two gunicorns with the same settings and workers (and the project's
   gunicorn.conf.py: preloaded, recycled every ~20,000 requests): the app, and the same
   Django project with a one-view URLconf (`bare_application` below), whose view returns
   "ok" through the full middleware stack: the ceiling every page is compared with.
   Both use the shared cache production has (`--redis`, a Redis database emptied
   first): sessions read from it, and the page cache on (`--no-page-cache` turns the
   page cache off, to measure every page as after a write).
4. For each page: a warm-up, then `wrk --latency` for `--duration` seconds with
   bench/wrk/pages.lua, which checks every status, rotates per-request cookies where
   needed, and prints p50/p90/p95/p99 from wrk's own histogram. Staff pages go first;
   then `--submissions` new open questionnaires are made in "submit", each with the
   client session GET /q/<token> would leave, for the questionnaire GET and submit
   (every POST of the submit run is a real first submission), a POST again on
   completed ones, and the therapist home once more with those questionnaires open.
   Before each measurement the script waits for the gunicorns to finish queued work
   and (up to --quiet-wait seconds) for other work on the machine to calm down; each
   row records the share of the CPUs that other work used during it.
5. In-process, with Django's test client on the same database, right after each group
   of pages (so with the same data open): the SQL queries of one request to each page
   (CaptureQueriesContext), their database time, and the median time of one request
   alone (no concurrency); then the same with the page cache missing on every request
   (the data version changed before each, as any write changes it).

The bare view is measured first and again last; ratios use their mean. Everything the
script starts is stopped on exit, Ctrl+C or error.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk" / "pages.lua"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"
FORM = "wai-sr-client"
TARGET_P95_MS = 100.0

# The clinics seeded (slug -> seed_load arguments).
CLINICS = {
    "load": {"therapists": 50, "clients": 5000, "questionnaires": 30},
    "home": {"therapists": 1, "clients": 200, "questionnaires": 30},
    "chart": {"therapists": 1, "clients": 1, "questionnaires": 60},
    "submit": {"therapists": 10, "clients": 1000, "questionnaires": 30},
    # A clinic group at scale (issue 17): 12 questionnaires a client (a week apart: all
    # within the overview's 90 days) keep its seeding near two minutes.
    "group": {"therapists": 100, "clients": 10000, "questionnaires": 12},
}
WAITING_SHARE = 0.10  # clients of "load", "home" and "group" with a questionnaire waiting
WAITING_IN = ("load", "home", "group")


# --- the bare view: imported by the second gunicorn, never by the app ----------------
def bare_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bare/", bare_view)]


def bare_application():
    """gunicorn 'bench.bench_pages:bare_application()': the app's settings and
    middleware, with this module's one-view URLconf in place of the app's."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_site.settings")
    from django.conf import settings

    settings.ROOT_URLCONF = __name__  # before any request: same as a settings module
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --- processes -----------------------------------------------------------------------
class Processes:
    """Every long-running process this script starts, stopped on the way out."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: its workers stop with it
            )
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.started):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.started.clear()


def group_cpu_seconds(pgids: set[int]) -> float:
    """CPU time used so far by every live process in these process groups."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) in pgids:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(procs: Processes, seconds: float = 120) -> float:
    """Wait until our gunicorns are idle: after wrk stops, a sync worker still works
    through the requests queued on its socket, which would slow the next measurement."""
    pgids = {p.pid for p in procs.started}
    started = time.monotonic()
    before = group_cpu_seconds(pgids)
    while time.monotonic() - started < seconds:
        time.sleep(0.5)
        now = group_cpu_seconds(pgids)
        if now - before < 0.02:  # under 4 % of one core over half a second
            break
        before = now
    return time.monotonic() - started


class CpuMeter:
    """How busy the machine was with work that was not ours during a measurement: other
    people's test runs on a shared machine make every page look slower, so each row
    says how much of the CPUs went elsewhere, as a range:

    low:  CPU used by processes other than ours and PostgreSQL's, counted per process
          (a process that starts and ends within the measurement is missed);
    high: all CPU time the kernel counts as busy, less the gunicorns, wrk and the
          PostgreSQL backends connected to the benchmark database (PostgreSQL's
          parallel query workers and background writers working for us count here).
    """

    def __init__(self, pgids: set[int], db: str) -> None:
        self.pgids, self.db = pgids, db
        self.tick = os.sysconf("SC_CLK_TCK")

    def _busy(self) -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / self.tick

    def _processes(self) -> tuple[float, dict[int, float]]:
        """CPU seconds of our processes in all, and of every other non-PostgreSQL one."""
        ours, others = 0.0, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                comm, rest = (entry / "stat").read_text().rsplit(")", 1)
                fields = rest.split()
                seconds = (int(fields[11]) + int(fields[12])) / self.tick
                if int(fields[2]) in self.pgids:
                    ours += seconds
                elif comm.endswith("(postgres"):
                    title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    if f" {self.db} " in title:
                        ours += seconds
                elif int(entry.name) != os.getpid():
                    others[int(entry.name)] = seconds
            except (OSError, IndexError, ValueError):
                continue
        return ours, others

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.t0, self.b0, self.c0 = time.monotonic(), self._busy(), self._children()
        self.o0, self.others0 = self._processes()

    def others_percent(self) -> tuple[float, float]:
        """(low, high) share of the machine (all CPUs) busy with other work since start()."""
        machine = (time.monotonic() - self.t0) * (os.cpu_count() or 1)
        ours_now, others_now = self._processes()
        ours = (ours_now - self.o0) + (self._children() - self.c0)
        low = sum(v - self.others0.get(pid, 0.0) for pid, v in others_now.items())
        high = (self._busy() - self.b0) - ours
        return max(0.0, 100 * low / machine), max(0.0, 100 * high / machine)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


# --- database ------------------------------------------------------------------------
def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", HOST, "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return out.stdout.strip()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def recreate_database(db: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}"')


def manage(*args: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return time.perf_counter() - started, out.stdout.strip()


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "alliance_site.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def add_used_links(slugs: list[str]) -> int:
    """Every seeded client questionnaire was sent by link (its response says channel
    "link"): give each one the link it had, revoked at completion as submitting does,
    then mark them sent by link and count them as `issue_link` would have (the clinic
    overview reads those counts). Runs once per clinic, right after seeding it (no NOT
    EXISTS guard: with the table's statistics taken while it was empty, PostgreSQL
    picks a sequential anti-join that rescans the rows this very statement inserts, and
    186,000 rows took eleven minutes)."""
    from django.db import connection

    from assessments.alliance.counts import recount
    from clinicians.models import Clinic

    clinic_ids = list(Clinic.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO assessments_accesslink
                (administration_id, token_hash, created_at, revoked_at, purpose)
            SELECT a.id, encode(sha256(convert_to('bench-' || a.id::text || '-'
                       || md5(random()::text), 'UTF8')), 'hex'),
                   a.created_at, a.completed_at, 'link'
            FROM assessments_administration a
            WHERE a.rater = 'client' AND a.status = 'completed' AND a.clinic_id = ANY(%s)
            """,
            [clinic_ids],
        )
        added = cur.rowcount
    recount.rebuild(clinic_ids)
    return added


def add_waiting(slug: str, share: float) -> int:
    """Ask `share` of a clinic's clients for a new questionnaire, through the service."""
    from django.utils import timezone

    from assessments.questionnaires.links import Occasion, administration_request
    from clinicians.models import Patient

    patients = list(
        Patient.objects.filter(clinic__slug=slug).order_by("pk").prefetch_related("clinic")
    )
    step = max(1, round(1 / share))
    today = timezone.localdate()
    asked = 0
    for patient in patients[::step]:
        therapist = patient.assignments.get(ended_at__isnull=True).therapist
        number = CLINICS[slug]["questionnaires"] + 1
        administration_request(
            actor=therapist,
            patient=patient,
            form_code=FORM,
            occasion=Occasion("session", number, "", today),
        )
        asked += 1
    return asked


def seed_clinics(env: dict[str, str], db: str, slugs: list[str]) -> dict[str, float]:
    """seed_load each clinic, then their used links, counts and waiting questionnaires."""
    timings: dict[str, float] = {}
    for slug in slugs:
        sizes = CLINICS[slug]
        seconds, out = manage(
            "seed_load",
            "--clinic",
            slug,
            "--therapists",
            str(sizes["therapists"]),
            "--clients",
            str(sizes["clients"]),
            "--questionnaires",
            str(sizes["questionnaires"]),
            env=env,
        )
        timings[f"seed_load {slug}"] = seconds
        print(f"  seed_load {slug}: {seconds:.1f} s wall; it says: {out.splitlines()[0]}")
    started = time.perf_counter()
    psql("ANALYZE", db)  # fresh tables have no statistics yet
    setup_django(env)
    links = add_used_links(slugs)
    timings["used links and their counts"] = time.perf_counter() - started
    started = time.perf_counter()
    waiting = sum(add_waiting(slug, WAITING_SHARE) for slug in slugs if slug in WAITING_IN)
    timings["waiting questionnaires (service)"] = time.perf_counter() - started
    print(f"  {links:,} used links added; {waiting} questionnaires asked for through the service")
    started = time.perf_counter()
    psql("VACUUM (ANALYZE)", db)  # what autovacuum would have done by now
    timings["vacuum analyze"] = time.perf_counter() - started
    return timings


def seed(env: dict[str, str], db: str) -> dict[str, float]:
    print(f"Creating database {db} and migrating ...", flush=True)
    recreate_database(db)
    seconds, _ = manage("migrate", "--noinput", env=env)
    return {"migrate": seconds, **seed_clinics(env, db, list(CLINICS))}


def update_seeded(env: dict[str, str], db: str) -> dict[str, float]:
    """--skip-seed on a database seeded by an older version of this script: migrate it
    (the migrations fill what they add, such as the overview's counts) and seed the
    clinics it lacks (the group clinic), leaving the others as they are."""
    seconds, _ = manage("migrate", "--noinput", env=env)
    setup_django(env)
    from clinicians.models import Clinic

    present = set(Clinic.objects.filter(slug__in=list(CLINICS)).values_list("slug", flat=True))
    missing = [slug for slug in CLINICS if slug not in present]
    if not missing:
        return {"migrate": seconds}
    print(f"Seeding the clinics this database lacks: {', '.join(missing)} ...", flush=True)
    return {"migrate": seconds, **seed_clinics(env, db, missing)}


# --- per-run fixtures ----------------------------------------------------------------
@dataclass
class Fixtures:
    csrf_secret: str
    csrf_token: str
    staff: dict[str, str] = field(default_factory=dict)  # who -> session key
    chart_client_pk: int = 0
    export_job_pk: int = 0
    open_sessions: list[str] = field(default_factory=list)  # session keys
    spare_sessions: list[str] = field(default_factory=list)  # for in-process counts
    done_sessions: list[str] = field(default_factory=list)  # completed questionnaires


def staff_session(user) -> str:
    """A session as a sign-in leaves it (django.contrib.auth.login, the
    clinicians.signals handler that starts the session clock, and the second step: a
    code from a confirmed authenticator app, recorded as django_otp.login records it;
    without it every staff page answers with a redirect to the code page)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="Bench app", confirmed=True)
    store = SessionStore()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["session_started"] = timezone.now().timestamp()
    store["session_last_seen"] = timezone.now().timestamp()
    store.create()
    return store.session_key


def client_sessions(token_hashes: list[str]) -> list[str]:
    """Sessions as GET /q/<token> leaves them: the link's hash, two hours to live."""
    from datetime import timedelta

    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from assessments.views.client import LINK_SESSION_SECONDS, SESSION_KEY

    store = SessionStore()
    expire = timezone.now() + timedelta(seconds=LINK_SESSION_SECONDS)
    rows = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {SESSION_KEY: {"link": h}, "_session_expiry": LINK_SESSION_SECONDS}
            ),
            expire_date=expire,
        )
        for h in token_hashes
    ]
    Session.objects.bulk_create(rows, batch_size=5000)
    return [r.session_key for r in rows]


def open_questionnaires(count: int) -> list[str]:
    """`count` new open questionnaires in "submit", each with its link (the fields
    administration_request writes, in bulk), spread over the clients round-robin;
    returns their links' token hashes in that order."""
    from datetime import timedelta

    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from assessments.models import AccessLink, Administration, OccasionKind, Rater
    from assessments.questionnaires.tokens import hash_token, new_token
    from clinicians.models import CaseAssignment, Clinic

    clinic = Clinic.objects.get(slug="submit")
    assignments = list(
        CaseAssignment.objects.filter(patient__clinic=clinic, ended_at__isnull=True)
        .select_related("patient")
        .order_by("patient_id")
    )
    highest = dict(
        Administration.objects.filter(clinic=clinic)
        .values("patient_id")
        .annotate(n=Max("session_number"))
        .values_list("patient_id", "n")
    )
    from assessments.alliance.counts import recount

    now, today = timezone.now(), timezone.localdate()
    expires = now + timedelta(days=clinic.invitation_expiry_days)
    admins, hashes = [], []
    for i in range(count):
        a = assignments[i % len(assignments)]
        highest[a.patient_id] = (highest.get(a.patient_id) or 0) + 1
        admins.append(
            Administration(
                clinic=clinic,
                patient=a.patient,
                therapist_id=a.therapist_id,
                form_code=FORM,
                rater=Rater.CLIENT,
                occasion=OccasionKind.SESSION,
                session_number=highest[a.patient_id],
                session_date=today,
                created_by_id=a.therapist_id,
                created_at=now,
                expires_at=expires,
                sent_by_link=True,
            )
        )
        hashes.append(hash_token(new_token()))
    with transaction.atomic():
        Administration.objects.bulk_create(admins, batch_size=5000)
        AccessLink.objects.bulk_create(
            (
                AccessLink(administration=a, token_hash=h, created_at=now)
                for a, h in zip(admins, hashes, strict=True)
            ),
            batch_size=5000,
        )
        # Counted as sent, as issue_link counts each (so that every submit also adds to
        # the clinic overview's counts, as a real one does).
        recount.rebuild([clinic.pk])
    return hashes


def completed_links(count: int) -> list[str]:
    """Links of completed questionnaires in "submit" (what a second POST meets)."""
    from django.utils import timezone

    from assessments.models import AccessLink, Administration, AdministrationStatus

    admins = list(
        Administration.objects.filter(
            clinic__slug="submit", status=AdministrationStatus.COMPLETED
        ).order_by("pk")[:count]
    )
    hashes = [hashlib.sha256(secrets.token_bytes(32)).hexdigest() for _ in admins]
    AccessLink.objects.bulk_create(
        AccessLink(administration=a, token_hash=h, revoked_at=timezone.now())
        for a, h in zip(admins, hashes, strict=True)
    )
    return hashes


def retire_leftovers() -> int:
    """Withdraw the questionnaires an earlier run left open, so that runs do not pile
    up open questionnaires (which every page that lists "waiting" ones reads)."""
    from django.utils import timezone

    from assessments.models import Administration, AdministrationStatus

    return Administration.objects.filter(
        clinic__slug="submit", status=AdministrationStatus.OPEN
    ).update(status=AdministrationStatus.REVOKED, revoked_at=timezone.now())


def staff_fixtures() -> Fixtures:
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    from clinicians.models import Patient, Role, User

    secret = _get_new_csrf_string()
    fx = Fixtures(csrf_secret=secret, csrf_token=_mask_cipher_secret(secret))
    fx.staff["therapist_home"] = staff_session(
        User.objects.get(clinic__slug="home", role=Role.THERAPIST)
    )
    fx.staff["therapist_chart"] = staff_session(
        User.objects.get(clinic__slug="chart", role=Role.THERAPIST)
    )
    fx.staff["admin_load"] = staff_session(User.objects.get(clinic__slug="load", role=Role.ADMIN))
    admin_group = User.objects.get(clinic__slug="group", role=Role.ADMIN)
    fx.staff["admin_group"] = staff_session(admin_group)
    fx.chart_client_pk = Patient.objects.get(clinic__slug="chart").pk
    fx.export_job_pk = export_job(admin_group)
    return fx


def export_job(admin) -> int:
    """An export of the group clinic's questionnaires as the background job leaves it
    half-way (what its status page shows while the file is written)."""
    from django.utils import timezone

    from assessments.models import Response
    from integrations.models import ExportJob, ExportStatus

    total = Response.objects.filter(
        administration__clinic_id=admin.clinic_id, is_current=True
    ).count()
    job, _ = ExportJob.objects.update_or_create(
        clinic_id=admin.clinic_id,
        created_by=admin,
        format="csv",
        defaults={
            "status": ExportStatus.RUNNING,
            "total_rows": total,
            "done_rows": total // 2,
            "started_at": timezone.now(),
            "heartbeat_at": timezone.now(),
        },
    )
    return job.pk


def client_fixtures(fx: Fixtures, submissions: int) -> None:
    hashes = open_questionnaires(submissions + 10)
    sessions = client_sessions(hashes)
    fx.spare_sessions, fx.open_sessions = sessions[:10], sessions[10:]
    fx.done_sessions = client_sessions(completed_links(2000))


# --- pages ---------------------------------------------------------------------------
@dataclass
class Page:
    name: str
    path: str
    method: str = "GET"
    expect: int = 200
    cookie: str = ""  # the same for every request
    cookie_lines: list[str] = field(default_factory=list)  # rotated
    body: str = ""
    warm_lines: list[str] = field(default_factory=list)  # rotated, for the warm-up
    consumes: bool = False  # each request uses up its cookie line
    probe_cookie: str = ""  # for the in-process count, if not `cookie`


def submit_body(token: str) -> str:
    answers = "&".join(f"item_{i}={(i % 5) + 1}" for i in range(1, 13))
    return f"form_code={FORM}&{answers}&csrfmiddlewaretoken={token}"


def staff_pages(fx: Fixtures) -> list[Page]:
    return [
        Page(
            "therapist home (200 clients)",
            "/caseload/",
            cookie=f"sessionid={fx.staff['therapist_home']}",
        ),
        Page(
            "client page (60 questionnaires)",
            f"/clients/{fx.chart_client_pk}/",
            cookie=f"sessionid={fx.staff['therapist_chart']}",
        ),
        Page(
            "admin overview (5,000 clients)",
            "/console/alliance/",
            cookie=f"sessionid={fx.staff['admin_load']}",
        ),
        Page(
            "clinic group overview (10,000 clients)",
            "/console/alliance/",
            cookie=f"sessionid={fx.staff['admin_group']}",
        ),
        # The exports of the group clinic: the page that asks for one, and the status
        # page of a job writing 120,000 questionnaires (the file itself is written in the
        # background: bench/bench_exports.py measures that).
        Page(
            "exports page (10,000 clients)",
            "/exports/",
            cookie=f"sessionid={fx.staff['admin_group']}",
        ),
        Page(
            "export status (10,000 clients)",
            f"/exports/jobs/{fx.export_job_pk}/",
            cookie=f"sessionid={fx.staff['admin_group']}",
        ),
    ]


def client_pages(fx: Fixtures, warm_share: float) -> list[Page]:
    def cookies(keys: list[str]) -> list[str]:
        return [f"sessionid={k}; csrftoken={fx.csrf_secret}" for k in keys]

    opened = cookies(fx.open_sessions)
    warm = max(1, int(len(opened) * warm_share))
    body = submit_body(fx.csrf_token)
    return [
        Page(
            "questionnaire GET",
            "/q/",
            cookie_lines=opened,
            warm_lines=opened[:200],
            probe_cookie=cookies(fx.spare_sessions[:1])[0],
        ),
        Page(
            "questionnaire submit (first POST)",
            "/q/",
            method="POST",
            expect=302,
            cookie_lines=opened[warm:],
            warm_lines=opened[:warm],
            body=body,
            consumes=True,
        ),
        Page(
            "questionnaire POST again (already received)",
            "/q/",
            method="POST",
            cookie_lines=cookies(fx.done_sessions),
            warm_lines=cookies(fx.done_sessions),
            body=body,
        ),
    ]


# --- wrk -----------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    rps: float
    p50: float
    p90: float
    p95: float
    p99: float
    requests: int
    errors: int
    unexpected: int
    wrapped: int
    queries: int | None = None
    query_ms: float | None = None
    alone_ms: float | None = None
    miss_queries: int | None = None
    miss_ms: float | None = None
    others_cpu: tuple[float, float] | None = None

    def take(self, counted: InProcess) -> None:
        self.queries, self.query_ms, self.alone_ms = (
            counted.queries,
            counted.query_ms,
            counted.alone_ms,
        )
        self.miss_queries, self.miss_ms = counted.miss_queries, counted.miss_ms


def run_wrk(
    page: Page,
    port: int,
    *,
    seconds: float,
    args: argparse.Namespace,
    lines: list[str] | None,
    tmp: Path,
) -> Result:
    env = {
        **os.environ,
        "BENCH_METHOD": page.method,
        "BENCH_PATH": page.path,
        "BENCH_EXPECT": str(page.expect),
        "BENCH_COOKIE": page.cookie,
        "BENCH_BODY": page.body,
        "BENCH_ORIGIN": f"http://{HOST}:{port}",
        "BENCH_THREADS": str(args.threads),
        "BENCH_COOKIE_FILE": "",
    }
    if lines:
        cookie_file = tmp / f"cookies-{secrets.token_hex(4)}.txt"
        cookie_file.write_text("\n".join(lines) + "\n")
        env["BENCH_COOKIE_FILE"] = str(cookie_file)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://{HOST}:{port}{page.path}",
    ]
    out = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=True
    ).stdout
    match = re.search(r"^BENCH_JSON (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{out}")
    data = json.loads(match.group(1))
    lat = data["latency_us"]
    errors = sum(v for k, v in data["errors"].items() if k != "status")
    return Result(
        name=page.name,
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50=lat["p50"] / 1000,
        p90=lat["p90"] / 1000,
        p95=lat["p95"] / 1000,
        p99=lat["p99"] / 1000,
        requests=data["requests"],
        errors=errors,
        unexpected=data["unexpected"],
        wrapped=data["cookie_list_wrapped"],
    )


def wait_quiet(meter: CpuMeter, seconds: float) -> float:
    """Wait (at most `seconds`) for a second in which other work used under a quarter
    of the machine; returns the share it used in the last second sampled."""
    deadline = time.monotonic() + seconds
    while True:
        meter.start()
        time.sleep(1)
        others = meter.others_percent()[1]
        if others < 25 or time.monotonic() >= deadline:
            return others
        time.sleep(2)


def measure(
    page: Page,
    port: int,
    args: argparse.Namespace,
    tmp: Path,
    procs: Processes,
    meter: CpuMeter,
) -> Result:
    settle(procs)
    if args.warmup > 0:
        run_wrk(
            page,
            port,
            seconds=args.warmup,
            args=args,
            lines=page.warm_lines or page.cookie_lines or None,
            tmp=tmp,
        )
    settle(procs)
    wait_quiet(meter, args.quiet_wait)
    meter.start()
    result = run_wrk(
        page, port, seconds=args.duration, args=args, lines=page.cookie_lines or None, tmp=tmp
    )
    result.others_cpu = meter.others_percent()
    print(
        f"  {page.name}: {result.rps:,.0f} req/s, p50 {result.p50:.1f} ms, "
        f"p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms ({result.requests:,} requests; "
        f"other work used {result.others_cpu[0]:.0f}-{result.others_cpu[1]:.0f} % of the CPUs)",
        flush=True,
    )
    if result.unexpected or result.errors or (result.wrapped and page.consumes):
        print(
            f"    ! {result.unexpected} answers with another status than {page.expect}, "
            f"{result.errors} socket errors, cookie list reused {result.wrapped} times"
        )
    return result


# --- queries and single-request time, in process ----------------------------------------
def count_queries(page: Page, fx: Fixtures, spare: list[str]) -> InProcess:
    """Queries of one request (after one to warm caches), their database time, and the
    median wall time of five requests one at a time; then, for pages that do not use
    up their session, the same with the page cache missing every time (the data
    version changed before each request, as any write to client data changes it)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from alliance_site import freshness

    def one(client: Client) -> HttpResponse:
        if page.method == "POST":
            return client.post(
                page.path, data=page.body, content_type="application/x-www-form-urlencoded"
            )
        return client.get(page.path)

    # One client for all requests: a new one builds the middleware again, and WhiteNoise
    # then scans every static file (milliseconds that no server request pays).
    shared = Client(HTTP_HOST=HOST, enforce_csrf_checks=True, HTTP_ORIGIN=f"http://{HOST}")

    def client_for(line: str) -> Client:
        client = shared
        client.cookies.clear()
        for part in line.split("; "):
            key, value = part.split("=", 1)
            client.cookies[key] = value
        return client

    def line() -> str:
        if page.consumes:
            return f"sessionid={spare.pop()}; csrftoken={fx.csrf_secret}"
        return page.cookie or page.probe_cookie or page.cookie_lines[0]

    def five(*, miss: bool) -> tuple[int, float, float]:
        times = []
        captured = None
        for _ in range(5):
            client = client_for(line())
            if miss:
                freshness.bump()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = one(client)
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != page.expect:
                raise RuntimeError(f"{page.name}: in-process status {response.status_code}")
            captured = captured or ctx
        assert captured is not None
        db_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        return len(captured.captured_queries), db_ms, statistics.median(times)

    one(client_for(line()))  # warm-up (template loading, first connection)
    queries, db_ms, alone = five(miss=False)
    result = InProcess(queries, db_ms, alone)
    if not page.consumes and freshness.enabled():
        result.miss_queries, _, result.miss_ms = five(miss=True)
    return result


@dataclass
class InProcess:
    queries: int
    query_ms: float
    alone_ms: float
    miss_queries: int | None = None
    miss_ms: float | None = None


# --- report --------------------------------------------------------------------------
def machine_facts(args: argparse.Namespace) -> dict[str, str]:
    import django

    cpu = ""
    with contextlib.suppress(OSError):
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    gunicorn_version = subprocess.run(
        [str(GUNICORN), "--version"], capture_output=True, text=True
    ).stdout
    return {
        "cpus (nproc)": str(os.cpu_count()),
        "cpu": cpu,
        "PostgreSQL": psql("SHOW server_version"),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": gunicorn_version.strip()
        + f", {args.workers} {args.worker_class} workers"
        + (f" x {args.gthreads} threads" if args.worker_class == "gthread" else ""),
        "wrk": (wrk_version.split("\n")[0] if wrk_version else "?")
        + f", -t{args.threads} -c{args.connections} -d{args.duration}s (warm-up {args.warmup}s)",
        "net.ipv4.tcp_timestamps": tcp_timestamps(),
        "cache": args.redis + (", page cache off" if args.no_page_cache else ""),
    }


def tcp_timestamps() -> str:
    """Linux's TCP timestamp mode. With 1 (random offsets per connection), a new
    connection from a port whose last connection the server closed moments ago is
    refused by the server's TIME_WAIT socket and retried a second later: gunicorn's sync
    workers close every connection, so at 1,000+ connections a second on loopback the
    fastest pages get a p95 of about one second that is the kernel's, not the page's.
    2 (timestamps without random offsets) lets the kernel reuse the port."""
    try:
        mode = Path("/proc/sys/net/ipv4/tcp_timestamps").read_text().strip()
    except OSError:
        return "?"
    if mode == "1":
        print(
            "! net.ipv4.tcp_timestamps is 1: fast pages will show one-second stalls from "
            "reused ports (sysctl -w net.ipv4.tcp_timestamps=2 avoids them; see "
            "docs/benchmarks.md)",
            file=sys.stderr,
        )
    return mode


def table(results: list[Result], bare_rps: float, bare_p95: float) -> str:
    head = (
        "| page | req/s | p50 ms | p95 ms | p99 ms | req/s ÷ bare | p95 × bare "
        "| queries | query ms | alone ms | miss: queries | miss: alone ms | others' CPU "
        "| p95 < 100 ms |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n"
    )

    def cell(value: float | None, fmt: str) -> str:
        return "" if value is None else format(value, fmt)

    rows = []
    for r in results:
        others = "" if r.others_cpu is None else "{:.0f}–{:.0f} %".format(*r.others_cpu)
        rows.append(
            f"| {r.name} | {r.rps:,.0f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} "
            f"| {r.rps / bare_rps:.3f} | {r.p95 / bare_p95:.1f} | {cell(r.queries, 'd')} "
            f"| {cell(r.query_ms, '.1f')} | {cell(r.alone_ms, '.1f')} "
            f"| {cell(r.miss_queries, 'd')} | {cell(r.miss_ms, '.1f')} "
            f"| {others} | {'yes' if r.requests and r.p95 < TARGET_P95_MS else '**no**'} |"
        )
    return head + "\n".join(rows)


# --- main ----------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", default="alliance_bench")
    p.add_argument("--duration", type=float, default=15, help="seconds per page")
    p.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per page")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    p.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--submissions", type=int, default=20000, help="open questionnaires")
    p.add_argument("--skip-seed", action="store_true", help="reuse the existing database")
    p.add_argument("--only", default="", help="run only pages whose name contains this")
    p.add_argument(
        "--no-page-cache",
        action="store_true",
        help="render every page part afresh (ALLIANCE_PAGE_CACHE=false), as after any "
        "write to client data: the pages' cost when the cache misses",
    )
    p.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/12",
        help="the shared cache, as every production server has it (its database is "
        "emptied first); 'none' for a per-process cache, sessions in the database "
        "and no page cache",
    )
    p.add_argument(
        "--no-crowded",
        action="store_true",
        help="skip the second caseload run made with --submissions questionnaires open",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="before each measurement wait up to this long for other work to calm down",
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.db) or "bench" not in args.db:
        p.error("--db must be a plain lower-case name containing 'bench' (it is dropped)")
    if shutil.which("wrk") is None:
        p.error("wrk is not installed: apt-get install -y wrk")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_sigterm)
    app_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{args.db}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_HTTPS": "false",
        # Static files from the source folders: no collectstatic for a benchmark run.
        "WHITENOISE_USE_FINDERS": "true",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{app_port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if args.redis != "none":
        # Production runs with a shared cache (cached sessions, the page cache): measure
        # that. Emptied first, so no run starts with another's cached pages.
        env["REDIS_URL"] = args.redis
        flush_redis(args.redis)
    if args.no_page_cache:
        env["ALLIANCE_PAGE_CACHE"] = "false"
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="alliance-bench-"))
    try:
        timings = update_seeded(env, args.db) if args.skip_seed else seed(env, args.db)
        retired = retire_leftovers()
        if retired:
            print(f"Withdrew {retired:,} questionnaires an earlier run left open")
        fx = staff_fixtures()

        gunicorn = [str(GUNICORN), "--bind"]
        common = ["-w", str(args.workers), "-k", args.worker_class, "--chdir", str(ROOT)]
        if args.worker_class == "gthread":
            common += ["--threads", str(args.gthreads)]
        app = procs.start(
            [*gunicorn, f"{HOST}:{app_port}", *common, "alliance_site.wsgi"],
            env=env,
            log=tmp / "gunicorn-app.log",
        )
        bare = procs.start(
            [*gunicorn, f"{HOST}:{bare_port}", *common, "bench.bench_pages:bare_application()"],
            env=env,
            log=tmp / "gunicorn-bare.log",
        )
        wait_until_up(f"http://{HOST}:{app_port}/healthz", app)
        wait_until_up(f"http://{HOST}:{bare_port}/bare/", bare)
        print(f"gunicorn: app on :{app_port}, bare view on :{bare_port}; logs in {tmp}")
        meter = CpuMeter({p.pid for p in procs.started}, args.db)

        def wanted(pages: list[Page]) -> list[Page]:
            return [p for p in pages if args.only.lower() in p.name.lower()]

        bare_page = Page("bare Django view (ceiling)", "/bare/")
        print("Measuring with wrk ...", flush=True)
        first = measure(bare_page, bare_port, args, tmp, procs, meter)
        # Staff pages first, with only the seeded questionnaires open ...
        chosen = wanted(staff_pages(fx))
        results = [measure(p, app_port, args, tmp, procs, meter) for p in chosen]
        settle(procs)
        print("  (counting their queries in process)", flush=True)
        for page, result in zip(chosen, results, strict=True):
            result.take(count_queries(page, fx, []))
        # ... then the client's pages, on questionnaires opened for them now.
        settle(procs)
        started = time.perf_counter()
        client_fixtures(fx, args.submissions)
        print(
            f"  ({args.submissions:,} open questionnaires and their client sessions made "
            f"in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        more = wanted(client_pages(fx, warm_share=0.15))
        if args.only.lower() in "therapist home (200 clients)" and not args.no_crowded:
            # The same caseload while another clinic has those questionnaires open.
            home = staff_pages(fx)[0]
            home.name = f"therapist home, {args.submissions:,} open in another clinic"
            more.append(home)
        more_results = [measure(p, app_port, args, tmp, procs, meter) for p in more]
        bare_page.name = "bare Django view, again at the end"
        last = measure(bare_page, bare_port, args, tmp, procs, meter)

        settle(procs)
        print("Counting queries in process ...", flush=True)
        spare = list(fx.spare_sessions[1:])  # the first is the GET page's probe
        for page, result in zip(more, more_results, strict=True):
            result.take(count_queries(page, fx, spare))
        chosen += more
        results += more_results
        bare_rps = (first.rps + last.rps) / 2
        bare_p95 = (first.p95 + last.p95) / 2
        first.name = "bare Django view (ceiling, first)"
        facts = machine_facts(args)
        print()
        for key, value in facts.items():
            print(f"- {key}: {value}")
        for key, value in timings.items():
            print(f"- {key}: {value:.1f} s")
        print()
        print(table([first, *results, last], bare_rps, bare_p95))
        print(
            f"\nRatios against the mean of the two bare runs: {bare_rps:,.0f} req/s, "
            f"p95 {bare_p95:.1f} ms. Others' CPU: the share of the machine's CPUs that "
            "work other than this benchmark used during the row's measurement (low: other "
            "processes seen; high: all busy time not ours; see CpuMeter)."
        )
        consuming = {p.name for p in chosen if p.consumes}
        problems = [
            r
            for r in results
            if r.unexpected or r.errors or not r.requests or (r.wrapped and r.name in consuming)
        ]
        for r in problems:
            print(
                f"! {r.name}: {r.requests} requests, {r.unexpected} unexpected statuses, "
                f"{r.errors} socket errors, cookie list reused {r.wrapped} times"
            )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "facts": facts,
                        "timings_s": timings,
                        "bare": {"rps": bare_rps, "p95_ms": bare_p95},
                        "results": [r.__dict__ for r in [first, *results, last]],
                    },
                    indent=2,
                )
            )
        return 1 if problems else 0
    except KeyboardInterrupt:
        print("\nInterrupted; stopping what was started.", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
