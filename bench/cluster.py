"""Several Alliance servers on this one machine, for bench/multiserver.py and
bench/fault_drill.py: a PostgreSQL database of their own, one Redis database number,
two gunicorn app servers, a Celery worker and beat, and a round-robin proxy in front.

Everything started is stopped, and the database, the Redis database number and the
temporary folder are removed, when the `with Cluster(...)` block ends, even on error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("MULTISERVER_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("MULTISERVER_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("MULTISERVER_REDIS_DB", "13"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(
        ["psql", f"{PG_ADMIN_URL}/{db}", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


class Cluster:
    def __init__(
        self,
        name: str,
        *,
        env: dict[str, str] | None = None,
        app_servers: int = 2,
        db_proxy: bool = False,
        gunicorn_workers: int = 2,
    ) -> None:
        self.name = f"{name}_{os.getpid()}"
        self.extra_env = env or {}
        self.app_servers = app_servers
        self.db_proxy = db_proxy
        self.gunicorn_workers = gunicorn_workers
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="alliance-cluster-"))
        self.app_ports = [free_port() for _ in range(app_servers)]
        self.proxy_port = free_port()
        self.pg_proxy_port = free_port() if db_proxy else None
        self.proxy_log = self.tmp / "proxy.log"
        self.mail_dir = self.tmp / "mail"
        self.exports_dir = self.tmp / "exports"

    # --- life cycle ---------------------------------------------------------------
    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)
        try:
            psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except subprocess.CalledProcessError as err:
            print(f"could not drop database {self.name}: {err.stderr!r}", file=sys.stderr)
        self.redis_flush()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def database_url(self) -> str:
        if self.pg_proxy_port:
            return f"postgres://postgres@127.0.0.1:{self.pg_proxy_port}/{self.name}"
        return f"{PG_ADMIN_URL}/{self.name}"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"{REDIS_BASE}/{REDIS_DB}",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "multiserver-check-only-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_HTTPS": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "ALLIANCE_EXPORTS_DIR": str(self.exports_dir),
            # Debug off serves hashed, compressed static files collected beforehand, as
            # the container image does at build time.
            "DJANGO_STATIC_ROOT": str(self.tmp / "static"),
            "ALLIANCE_BASE_URL": f"http://127.0.0.1:{self.proxy_port}",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        return env

    def _start(self) -> None:
        psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{self.name}"')
        self.redis_flush()
        if self.pg_proxy_port:
            self.spawn(
                "pg-proxy",
                [
                    str(BIN / "python"),
                    "bench/rrproxy.py",
                    str(self.pg_proxy_port),
                    "5432",
                    "--log",
                    str(self.tmp / "pg-proxy.log"),
                ],
            )
            wait_for_port(self.pg_proxy_port)
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.manage("seed_demo")

    def start_servers(self) -> None:
        for i, port in enumerate(self.app_ports):
            self.spawn(
                f"app{i + 1}",
                [
                    str(BIN / "gunicorn"),
                    "alliance_site.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(self.gunicorn_workers),
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "5",
                    "--access-logfile",
                    str(self.tmp / f"app{i + 1}-access.log"),
                ],
            )
        self.start_worker()
        self.spawn(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "alliance_site",
                "beat",
                "--loglevel",
                "INFO",
                "-s",
                str(self.tmp / "beat-schedule"),
            ],
        )
        self.spawn(
            "proxy",
            [
                str(BIN / "python"),
                "bench/rrproxy.py",
                str(self.proxy_port),
                *map(str, self.app_ports),
                "--log",
                str(self.proxy_log),
            ],
        )
        for port in [*self.app_ports, self.proxy_port]:
            wait_for_port(port)
        self.wait_for_worker()

    def start_worker(self, name: str = "worker") -> None:
        self.spawn(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "alliance_site",
                "worker",
                "--loglevel",
                "INFO",
                "-c",
                "2",
                "-n",
                f"{name}-{self.name}@%h",
            ],
        )

    def wait_for_worker(self, timeout: float = 60) -> None:
        log = self.tmp / "worker.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if log.exists() and "ready." in log.read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise RuntimeError("the Celery worker did not start; see its log")

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        out = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        # Each was started in a session of its own: signal its whole group (workers too).
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def signal(self, name: str, sig: int) -> None:
        os.kill(self.procs[name].pid, sig)

    # --- helpers ------------------------------------------------------------------
    def manage(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def django(self, code: str) -> Any:
        """Run Python with Django set up against the cluster's database; the code
        prints one JSON value, which is returned."""
        out = self.manage("shell", "-c", code)
        return json.loads(out.strip().splitlines()[-1])

    def redis_flush(self) -> None:
        subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True)

    def served_by(self) -> int:
        """The backend port of the proxy's latest connection."""
        lines = [ln for ln in self.proxy_log.read_text().splitlines() if re.match(r"\d+ ", ln)]
        return int(lines[-1].split()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.proxy_port}{path}"

    def get_status(self, path: str, port: int | None = None, timeout: float = 5) -> int:
        url = f"http://127.0.0.1:{port or self.proxy_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
