"""gunicorn settings for Alliance: `gunicorn -c gunicorn.conf.py alliance_site.wsgi`.

Every value can be overridden from the environment (names below), so the same file
serves one small host and a large one.
"""

from __future__ import annotations

import gc
import glob
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# Sync workers: each request holds one worker, so a slow database cannot starve the
# others of more than one worker each. 2 × CPUs + 1 is gunicorn's own advice.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# A worker busier than this is killed and replaced. The database's statement timeout
# (30 s) and connect timeout (5 s) end a stuck request before this does.
timeout = _int("GUNICORN_TIMEOUT", 40)
# On SIGTERM a worker finishes the request it has, for up to this long (graceful
# shutdown: a rolling deploy loses no request that had already started).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# The load balancer reuses connections; keep them a little longer than it does not.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (with jitter, so they do not all restart together):
# a slow leak in any library cannot grow without bound. Not too often: at 2,000 a
# busy worker restarted every few seconds, and the requests queued on it waited for
# Django to load again (the bare view's p99 went from 18 ms to 490 ms; see
# docs/benchmarks.md).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Load Django once in the master and fork the workers from it: a recycled worker is
# ready at once instead of after about a second of imports, and the workers share the
# loaded code's memory. `post_fork` below closes anything the master opened. With
# preloading, `kill -HUP` restarts the workers with the code already loaded; a new
# version needs a new master (see docs/deploy.md). GUNICORN_PRELOAD=false turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}

# The client address and scheme come from X-Forwarded-For/-Proto only when the request
# arrives from one of these addresses (the load balancer's); "*" trusts everyone.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr. Access lines go through alliance_site.logs.JsonFormatter,
# which writes them as JSON with the request id (the X-Request-ID response header)
# and without query strings (they can hold tokens and searched names).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "alliance_site.logs.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }


# Prometheus multiprocess mode: each worker writes its counts to files in this folder
# and /metrics adds them up.
def on_starting(server):  # type: ignore[no-untyped-def]
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    # Files of processes that are gone belong to the previous run: start counting
    # afresh (Prometheus handles a counter reset). Files of live processes (a Celery
    # worker on the same host) stay.
    for path in glob.glob(os.path.join(folder, "*.db")):
        pid = path.rsplit("_", 1)[-1].removesuffix(".db")
        if pid.isdigit() and not _alive(int(pid)):
            os.remove(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    # A connection the master opened (a database, the cache) must not be shared by two
    # processes: close the copies; each worker opens its own on first use.
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    caches.close_all()
    # Everything loaded so far lives as long as the worker: keep it out of the garbage
    # collector's full passes, which otherwise walk Django's whole import graph again
    # and again (about 0.7 ms per request on the benchmark's pages).
    gc.freeze()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
