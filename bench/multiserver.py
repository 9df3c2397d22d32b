"""Multi-server check (`make multiserver`): two app servers, a Celery worker and beat,
one PostgreSQL database, one Redis database, a round-robin proxy, all on this machine.
Through the proxy it checks what must hold when several hosts serve one clinic, prints
its figures, and exits non-zero on any failure. Needs PostgreSQL and Redis listening on
their default ports (MULTISERVER_PG, MULTISERVER_REDIS and MULTISERVER_REDIS_DB change
them; Redis database 13 by default, emptied before and after).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cluster import BIN, ROOT, Cluster

ADMIN = "admin@demo.alliance.test"
THERAPIST = "rivera@demo.alliance.test"
LOCKED_THERAPIST = "chen@demo.alliance.test"
PASSWORD = "alliance-demo"  # noqa: S105 - the demo clinic's published password
API_LIMIT = 10
IMPORT_ROWS = 6000
ENV = {
    "ALLIANCE_REMINDERS_EVERY_SECONDS": "3",
    "ALLIANCE_EXPORTS_EVERY_SECONDS": "5",
    "ALLIANCE_EXPORT_STREAM_MAX_ROWS": "1",  # every export runs as a background job
    "ALLIANCE_API_RATE_PER_MINUTE": str(API_LIMIT),
    "AXES_FAILURE_LIMIT": "5",
}

results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, figures: str) -> None:
    results.append((name, ok, figures))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figures}", flush=True)


def browser() -> requests.Session:
    s = requests.Session()
    # A new connection per request, so the proxy sends each to the next server in turn.
    s.headers["Connection"] = "close"
    return s


def csrf(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(
    cluster: Cluster,
    s: requests.Session,
    page_path: str,
    data: dict[str, str],
    *,
    action: str | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Open a page and send its form as a browser would: the page's CSRF token, and the
    page as the Referer (the app checks both over plain HTTP)."""
    page = s.get(cluster.url(page_path))
    return s.post(
        cluster.url(action or page_path),
        data={**data, "csrfmiddlewaretoken": csrf(page.text)},
        headers={"Referer": cluster.url(page_path)},
        **kwargs,
    )


# Each staff member's authenticator app, as their phone would keep it: the key read off
# the set-up page the first time, and the last 30-second step whose code was used (the
# app refuses one step's code twice, so a second sign-in within a step waits).
_APP_KEYS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def app_code(email: str) -> str:
    from base64 import b32decode

    from django_otp.oath import TOTP

    step = int(time.time()) // 30
    if step <= _LAST_STEP.get(email, -1):
        time.sleep((_LAST_STEP[email] + 1) * 30 - time.time() + 0.2)
        step = int(time.time()) // 30
    _LAST_STEP[email] = step
    compact = _APP_KEYS[email].replace(" ", "")
    app = TOTP(b32decode(compact + "=" * (-len(compact) % 8)), step=30)
    app.time = step * 30 + 1
    return f"{app.token():06d}"


def sign_in(cluster: Cluster, s: requests.Session, email: str, password: str) -> requests.Response:
    """Sign a staff member in through the proxy as a person would: the password, then
    the second factor (set up on the first sign-in from the key shown on the page, with
    the recovery codes acknowledged; later a code from the remembered key)."""
    response = post_form(cluster, s, "/accounts/login/", {"username": email, "password": password})
    path = response.url.split("?")[0]
    if path.endswith("/accounts/two-factor/setup/"):
        key = re.search(r'id="setup-key">\s*([A-Z2-7 ]+?)\s*<', response.text)
        assert key, "no key on the set-up page"
        _APP_KEYS[email] = key.group(1)
        _LAST_STEP.pop(email, None)
    if path.endswith(("/accounts/two-factor/setup/", "/accounts/two-factor/")):
        response = s.post(
            response.url,
            data={"code": app_code(email), "csrfmiddlewaretoken": csrf(response.text)},
            headers={"Referer": response.url},
        )
    if response.url.split("?")[0].endswith("/accounts/two-factor/recovery-codes/"):
        response = s.post(
            response.url,
            data={"csrfmiddlewaretoken": csrf(response.text)},
            headers={"Referer": response.url},
        )
    return response


def check_sessions(cluster: Cluster) -> None:
    s = browser()
    sign_in(cluster, s, THERAPIST, PASSWORD)
    seen: dict[int, int] = {}
    ok = True
    for _ in range(8):
        r = s.get(cluster.url("/caseload/"), allow_redirects=False)
        seen[cluster.served_by()] = seen.get(cluster.served_by(), 0) + 1
        ok = ok and r.status_code == 200 and "D-0" in r.text
    check(
        "sign-in session survives alternating servers",
        ok and len(seen) == 2,
        f"8 caseload pages after one sign-in, answered by servers {seen}, all 200: {ok}",
    )


def check_lockout(cluster: Cluster) -> None:
    s = browser()
    statuses = []
    for _ in range(5):
        statuses.append(sign_in(cluster, s, LOCKED_THERAPIST, "wrong-password").status_code)
    right = sign_in(cluster, s, LOCKED_THERAPIST, PASSWORD)
    locked = "too many unsuccessful sign-ins" in right.text.lower()
    check(
        "lockout counts failures across servers",
        locked,
        f"5 wrong passwords answered {statuses}; the right one then: "
        f"{right.status_code} {'locked out' if locked else 'NOT locked out'}",
    )


def check_api_limit(cluster: Cluster) -> None:
    key = cluster.django(
        "import json; from clinicians.models import User; "
        "from integrations.services import api_key_create; "
        f"a = User.objects.get(email={ADMIN!r}); "
        "print(json.dumps(api_key_create(actor=a, name='check', scopes=['clients:read']).raw))"
    )
    if time.time() % 60 > 45:  # the limit counts per clock minute: start in a fresh one
        time.sleep(61 - time.time() % 60)
    s = browser()
    codes = []
    servers = set()
    for _ in range(API_LIMIT + 4):
        r = s.get(cluster.url("/api/v1/clients"), headers={"Authorization": f"Bearer {key}"})
        codes.append(r.status_code)
        servers.add(cluster.served_by())
    ok = codes == [200] * API_LIMIT + [429] * 4 and len(servers) == 2
    check(
        "API limit shared by the servers",
        ok,
        f"{API_LIMIT + 4} calls on 2 servers: {codes.count(200)} × 200, {codes.count(429)} × 429",
    )


def check_kiosk_limit(cluster: Cluster) -> None:
    s = browser()
    sign_in(cluster, s, ADMIN, PASSWORD)
    r = post_form(
        cluster, s, "/console/kiosks/", {"name": "Waiting room"}, action="/console/kiosks/enrol/"
    )
    codes = []
    for _ in range(7):
        form = s.get(cluster.url("/kiosk"))
        r = s.post(
            cluster.url("/kiosk"),
            data={"code": "ZZZZZZ", "csrfmiddlewaretoken": csrf(form.text)},
            headers={"Referer": cluster.url("/kiosk")},
        )
        codes.append(r.status_code)
    ok = codes == [400] * 5 + [429] * 2
    check(
        "kiosk wrong-code limit shared by the servers",
        ok,
        f"7 wrong codes from one tablet: {codes.count(400)} × 400 (wrong), "
        f"{codes.count(429)} × 429 (limited)",
    )


def check_import_progress(cluster: Cluster) -> None:
    s = browser()
    sign_in(cluster, s, ADMIN, PASSWORD)
    rows = "\n".join(f"IMP-{i:05},Imported {i}" for i in range(IMPORT_ROWS))
    r = post_form(
        cluster,
        s,
        "/console/import/",
        {},
        files={"file": ("clients.csv", io.BytesIO(f"code,name\n{rows}\n".encode()), "text/csv")},
    )
    match = re.search(r"/console/import/(\d+)/", r.url)
    assert match, f"the upload did not lead to a batch page: {r.url}"
    pk = match.group(1)
    started = time.monotonic()
    r = s.post(
        cluster.url(f"/console/import/{pk}/"),
        data={"action": "confirm", "csrfmiddlewaretoken": csrf(r.text)},
        headers={"Referer": cluster.url(f"/console/import/{pk}/")},
        allow_redirects=False,
    )
    confirm_seconds = time.monotonic() - started
    numbers_from: dict[int, int] = {}
    last: dict[str, Any] = {}
    while time.monotonic() - started < 120:
        last = s.get(cluster.url(f"/console/import/{pk}/progress/")).json()
        if last["status"] == "saving" and last["percent"] is not None and last["done"]:
            port = cluster.served_by()
            numbers_from[port] = numbers_from.get(port, 0) + 1
        if last["status"] != "saving":
            break
        time.sleep(0.1)
    total = time.monotonic() - started
    ok = last.get("status") == "done" and last.get("done") == IMPORT_ROWS and len(numbers_from) == 2
    check(
        "import progress visible from the other server",
        ok,
        f"{IMPORT_ROWS} rows saved by the worker in {total:.1f} s (confirm answered in "
        f"{confirm_seconds:.2f} s); readings with a count, by server: {numbers_from}",
    )


def check_export(cluster: Cluster) -> None:
    s = browser()
    sign_in(cluster, s, ADMIN, PASSWORD)
    r = post_form(cluster, s, "/exports/", {"format": "csv"}, allow_redirects=False)
    made_on = cluster.served_by()
    job_url = r.headers.get("Location", "")
    status: dict[str, Any] = {}
    started = time.monotonic()
    while time.monotonic() - started < 60:
        status = s.get(cluster.url(f"{job_url}progress/")).json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.3)
    # Make sure the download goes to the other server.
    s.get(cluster.url("/healthz"))
    if cluster.served_by() != made_on:
        s.get(cluster.url("/healthz"))
    download = s.get(cluster.url(f"{job_url}download/"))
    got_on = cluster.served_by()
    lines = download.text.count("\n")
    ok = download.status_code == 200 and lines == status.get("total", -1) + 1 and got_on != made_on
    check(
        "export made on one server, downloaded from the other",
        ok,
        f"job {job_url} made through :{made_on}, {status.get('status')} with "
        f"{status.get('total')} rows; downloaded through :{got_on}: {download.status_code}, "
        f"{len(download.content):,} bytes, {lines - 1} rows",
    )


def check_reminders(cluster: Cluster, due: int) -> None:
    # Another host's cron runs the same command while beat queues the task every 3 s.
    runs = [
        subprocess.Popen(
            [str(BIN / "python"), "manage.py", "send_reminders"],
            cwd=ROOT,
            env=cluster.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    for p in runs:
        p.wait(timeout=120)
    time.sleep(8)  # at least two more beat rounds
    messages = 0
    recipients: list[str] = []
    for f in cluster.mail_dir.glob("*.log"):
        text = f.read_text(errors="replace")
        for m in re.finditer(r"^Subject: (.*)$\n(?:.*\n)*?^To: (.*)$", text, re.M):
            messages += 1
            recipients.append(m.group(2))
    sent = cluster.django(
        "import json; from assessments.models import Administration; "
        "print(json.dumps(Administration.objects.filter(reminder_sent_at__isnull=False).count()))"
    )
    runs_seen = cluster.django(
        "import json; from clinicians.models import BackgroundRun; "
        "r = BackgroundRun.objects.filter(name='reminders').first(); "
        "print(json.dumps(r.runs if r else 0))"
    )
    ok = due > 0 and messages == due and len(set(recipients)) == due and sent == due
    check(
        "reminders sent once",
        ok,
        f"{due} due; {messages} emails written, to {len(set(recipients))} addresses; "
        f"{sent} marked sent; the reminders task ran {runs_seen} times on the worker, "
        "and send_reminders twice at once beside it",
    )


SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from assessments.models import Administration, AdministrationStatus, OccasionKind
from assessments.questionnaires.links import Occasion, administration_request
from clinicians.models import Patient, User
therapist = User.objects.get(email='rivera@demo.alliance.test')
made = 0
mine = Patient.objects.filter(
    assignments__therapist=therapist, assignments__ended_at__isnull=True)
for p in mine[:12]:
    Patient.objects.filter(pk=p.pk).update(email=f'client{p.pk}@example.test')
    p.refresh_from_db()
    issued = administration_request(actor=therapist, patient=p, form_code='wai-sr-client',
        occasion=Occasion(OccasionKind.OTHER, None, 'check', timezone.localdate()))
    Administration.objects.filter(pk=issued.administration.pk).update(
        emailed_at=timezone.now() - timedelta(days=3))
    made += 1
print(json.dumps(made))
"""


def main() -> int:
    started = time.monotonic()
    with Cluster("alliance_multiserver", env=ENV) as cluster:
        due = cluster.django(SETUP)
        cluster.start_servers()
        print(
            f"cluster up in {time.monotonic() - started:.1f} s: app servers "
            f"{cluster.app_ports}, proxy {cluster.proxy_port}, worker and beat, database "
            f"{cluster.name}, Redis db {cluster.env()['REDIS_URL'].rsplit('/', 1)[1]}",
            flush=True,
        )
        steps: list[Callable[[], None]] = [
            lambda: check_sessions(cluster),
            lambda: check_lockout(cluster),
            lambda: check_kiosk_limit(cluster),
            lambda: check_api_limit(cluster),
            lambda: check_import_progress(cluster),
            lambda: check_export(cluster),
            lambda: check_reminders(cluster, due),
        ]
        for step in steps:
            try:
                step()
            except Exception as exc:  # one broken check must not hide the others
                check(getattr(step, "__name__", "check"), False, f"error: {exc!r}")
        if not all(ok for _, ok, _ in results):
            print(f"logs kept in {cluster.tmp} until cleanup; last lines of each:")
            for log in sorted(cluster.tmp.glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-8:]
                print(f"--- {log.name}\n" + "\n".join(tail))
    failed = [name for name, ok, _ in results if not ok]
    print(
        f"{len(results) - len(failed)} passed, {len(failed)} failed "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
