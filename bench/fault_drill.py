"""Fault drill (`make fault-drill`): client submissions under load while a web worker
and the Celery worker are killed and the database refuses connections for 10 s.

The cluster of bench/cluster.py is started with its app servers reaching PostgreSQL
through a small proxy; "the database refuses connections" is that proxy cutting every
open connection and refusing new ones (SIGUSR1) until it is told to accept again
(SIGUSR2). Each simulated client retries until its answers are acknowledged (the thank-
you redirect, or "We already have your answers"). Then it checks: acknowledged equals
stored, none stored twice, /healthz 503 during the outage and 200 within a second after.
Prints its figures; exits non-zero on any failure.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import Cluster

CLIENTS = 600
THREADS = 8
OUTAGE_SECONDS = 10
ANSWERS = {f"item_{i}": str(1 + i % 5) for i in range(1, 13)}

SETUP = f"""
import json
from django.utils import timezone
from assessments.models import OccasionKind
from assessments.questionnaires.links import Occasion, administration_request
from clinicians.models import CaseAssignment, Patient, User
therapist = User.objects.get(email='rivera@demo.alliance.test')
tokens = []
for i in range({CLIENTS}):
    p = Patient.objects.create(clinic=therapist.clinic, code=f'DRILL-{{i:04}}')
    CaseAssignment.objects.create(patient=p, therapist=therapist)
    issued = administration_request(actor=therapist, patient=p, form_code='wai-sr-client',
        occasion=Occasion(OccasionKind.SESSION, 1, '', timezone.localdate()))
    tokens.append([issued.administration.pk, issued.token])
print(json.dumps(tokens))
"""

STORED = """
import json
from django.db.models import Count
from assessments.models import Response
rows = Response.objects.filter(administration__patient__code__startswith='DRILL-')
per = rows.values('administration_id').annotate(n=Count('id'))
print(json.dumps({'stored': sorted(r['administration_id'] for r in per),
                  'twice': [r['administration_id'] for r in per if r['n'] > 1],
                  'rows': rows.count()}))
"""


def submit(cluster: Cluster, token: str) -> str:
    s = requests.Session()
    s.headers["Connection"] = "close"
    opened = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if not opened:
                r = s.get(cluster.url(f"/q/{token}"), allow_redirects=False, timeout=10)
                if r.status_code != 302:
                    time.sleep(0.5)
                    continue
                opened = True
            page = s.get(cluster.url("/q/"), timeout=10)
            if "We already have your answers" in page.text:
                return "already"
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if page.status_code != 200 or not match:
                time.sleep(0.5)
                continue
            r = s.post(
                cluster.url("/q/"),
                data={
                    "csrfmiddlewaretoken": match.group(1),
                    "form_code": "wai-sr-client",
                    **ANSWERS,
                },
                headers={"Referer": cluster.url("/q/")},
                allow_redirects=False,
                timeout=10,
            )
            if r.status_code == 302 and "q-done" in r.headers.get("Location", ""):
                return "created"
            if r.status_code == 200 and "We already have your answers" in r.text:
                return "already"
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return "gave up"


def healthz(port: int) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            status: int | str = r.status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception as exc:  # a hang (timeout) or a dropped connection
        status = type(exc).__name__
    return status, time.monotonic() - started


def main() -> int:
    started = time.monotonic()
    failures: list[str] = []
    with Cluster("alliance_drill", db_proxy=True, env={"DATABASE_CONN_MAX_AGE": "60"}) as c:
        tokens = c.django(SETUP)
        c.start_servers()
        print(f"cluster up: {len(tokens)} open questionnaires, app servers {c.app_ports}")
        outcomes: Counter[str] = Counter()
        acked: set[int] = set()
        lock = threading.Lock()
        queue = list(tokens)

        def client_loop() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    pk, token = queue.pop()
                outcome = submit(c, token)
                with lock:
                    outcomes[outcome] += 1
                    if outcome in ("created", "already"):
                        acked.add(pk)

        probes: list[tuple[float, int | str, float]] = []
        stop_probing = threading.Event()

        def probe() -> None:
            while not stop_probing.is_set():
                status, took = healthz(c.app_ports[1])
                probes.append((time.monotonic(), status, took))
                time.sleep(0.1)

        load = [threading.Thread(target=client_loop) for _ in range(THREADS)]
        prober = threading.Thread(target=probe)
        t0 = time.monotonic()
        prober.start()
        for t in load:
            t.start()

        time.sleep(3)
        # A gunicorn worker of the first server and the Celery worker die at once.
        children = subprocess.run(
            ["pgrep", "-P", str(c.procs["app1"].pid)], capture_output=True, text=True
        ).stdout.split()
        if children:
            subprocess.run(["kill", "-9", children[0]], check=False)
        c.stop("worker", signal.SIGKILL)
        c.start_worker("worker")
        print(
            f"t={time.monotonic() - t0:.1f}s killed web worker {children[:1]} and the Celery worker"
        )

        time.sleep(2)
        outage_start = time.monotonic()
        c.signal("pg-proxy", signal.SIGUSR1)
        print(f"t={outage_start - t0:.1f}s database refuses connections")
        time.sleep(OUTAGE_SECONDS)
        outage_end = time.monotonic()
        c.signal("pg-proxy", signal.SIGUSR2)
        print(f"t={outage_end - t0:.1f}s database accepts connections again")

        for t in load:
            t.join()
        load_seconds = time.monotonic() - t0
        time.sleep(1)
        stop_probing.set()
        prober.join()
        db = c.django(STORED)

        stored = set(db["stored"])
        print(
            f"submissions: {len(tokens)} clients, {dict(outcomes)} in {load_seconds:.1f} s; "
            f"acknowledged {len(acked)}, stored {len(stored)} ({db['rows']} rows), "
            f"twice {len(db['twice'])}"
        )
        if acked != stored:
            failures.append(
                f"acknowledged != stored: {len(acked - stored)} acknowledged but not stored, "
                f"{len(stored - acked)} stored but never acknowledged"
            )
        if db["twice"] or db["rows"] != len(stored):
            failures.append(f"stored twice: {db['twice']}")
        if outcomes["gave up"]:
            failures.append(f"{outcomes['gave up']} clients gave up")

        # /healthz: during the outage (after a 1 s grace for open requests) and after it.
        during = [(s, took) for t, s, took in probes if outage_start + 1 <= t <= outage_end]
        during_statuses = Counter(str(s) for s, _ in during)
        slowest = max((took for _, took in during), default=0)
        after = [(t, s) for t, s, _ in probes if t >= outage_end]
        first_ok = next((t for t, s in after if s == 200), None)
        recovery = None if first_ok is None else first_ok - outage_end
        print(
            f"/healthz during the outage: {dict(during_statuses)} (slowest answer "
            f"{slowest:.2f} s); first 200 after it: "
            + ("never" if recovery is None else f"{recovery:.2f} s after the database returned")
        )
        if not during or set(during_statuses) != {"503"}:
            failures.append("/healthz did not answer 503 throughout the outage")
        if recovery is None or recovery > 1.0:
            failures.append("/healthz did not answer 200 within a second after the outage")
        worker_alive = c.procs["worker"].poll() is None
        print(f"Celery worker restarted and running: {worker_alive}")
    for f in failures:
        print(f"FAIL  {f}")
    verdict = "passed" if not failures else "FAILED"
    print(f"fault drill {verdict} in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
