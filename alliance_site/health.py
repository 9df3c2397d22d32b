"""Health check for load balancers: can this process reach its database and its cache?

A probe must answer quickly even when a dependency hangs rather than refuses: a
balancer that waits 30 s for an answer takes a dead host out of rotation far too late,
and a hanging probe holds a gunicorn worker. So each check has its own deadline:

- PostgreSQL is probed on a fresh, non-blocking psycopg2 connection polled against a
  deadline (libpq's own connect timeout cannot go below 2 s, and a statement timeout is
  enforced by the server, which is no help when the server is the part that hangs).
- The cache is probed through Django's cache API (any backend); a networked backend is
  bounded by its socket timeouts (settings: `REDIS_SOCKET_TIMEOUT`).

The body names which part failed and nothing more; the cause goes to the server log.
"""

from __future__ import annotations

import logging
import secrets
import select
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Seconds the database probe may take; with the cache's socket timeouts (0.5 s) this keeps
# the answer under 2 s when both hang.
DATABASE_PROBE_SECONDS = 1.0


class ProbeTimeout(Exception):
    pass


def _wait(conn: Any, deadline: float) -> None:
    """Drive a non-blocking psycopg2 connection until it is ready or time is up."""
    import psycopg2.extensions as ext

    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeTimeout("the database did not answer in time")
        fd = conn.fileno()
        if state == ext.POLL_READ:
            select.select([fd], [], [], remaining)
        elif state == ext.POLL_WRITE:
            select.select([], [fd], [], remaining)
        else:  # pragma: no cover - psycopg2 documents no other state
            raise DatabaseError(f"unexpected poll state {state}")


def probe_postgres(params: dict[str, Any], timeout: float = DATABASE_PROBE_SECONDS) -> None:
    """Connect and run SELECT 1 within `timeout` seconds, or raise."""
    import psycopg2

    deadline = time.monotonic() + timeout
    params = {k: v for k, v in params.items() if k not in {"cursor_factory"}}
    conn = psycopg2.connect(**params, async_=True)
    try:
        _wait(conn, deadline)
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        _wait(conn, deadline)
        if cursor.fetchone() != (1,):
            raise DatabaseError("unexpected answer")
    finally:
        conn.close()


def database_params() -> dict[str, Any]:
    return connection.get_connection_params()


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def check_database() -> None:
    if uses_postgres():
        probe_postgres(database_params())
        return
    # SQLite (development): a local file, nothing to hang on.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"healthz:{secrets.token_hex(8)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


CHECKS = ("database", "cache")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name in CHECKS:
        started = time.monotonic()
        try:
            globals()[f"check_{name}"]()
        except Exception:
            # Any failure (refused, timed out, misconfigured) means "do not send traffic
            # here"; the operator reads the cause in the log, the probe learns only which.
            logger.exception(
                "health check: %s failed after %.2f s", name, time.monotonic() - started
            )
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": results}, status=503
        )
    return JsonResponse({"status": "ok", "checks": results})


class ProbeMiddleware:
    """Answers /healthz and /metrics before Django checks the Host header.

    A load balancer probes, and Prometheus scrapes, each instance by its own address
    (http://10.0.0.5:8000/healthz), which is not among DJANGO_ALLOWED_HOSTS; without
    this they would get 400. Neither answer depends on the host, and /metrics still
    wants its token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        if request.path_info == "/metrics":
            from . import metrics

            try:
                return metrics.metrics_view(request)
            except Http404:
                # Django's own 404 page would need the host check; a bare 404 says less.
                return HttpResponseNotFound(b"", content_type="text/plain")
        return self.get_response(request)
