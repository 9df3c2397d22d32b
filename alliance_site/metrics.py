"""Prometheus metrics: requests, latency, submissions, reminders and the queue's depth.

gunicorn runs several worker processes, each with its own counters, so with
`PROMETHEUS_MULTIPROC_DIR` set (a folder that exists and is emptied when the service
starts; gunicorn.conf.py does that) every process writes its values to files there and
`/metrics` adds them up. Without it (development, tests) the values live in the process.

`/metrics` is not public: it answers only a request carrying
`Authorization: Bearer <ALLIANCE_METRICS_TOKEN>`, and 404 to anything else, including
every request when no token is configured.

The apps do not import this module (dependencies point from `alliance_site` to the
apps): they send signals (`assessments.signals`), which `AllianceSiteConfig.ready`
connects to the small counting functions below.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client opens its files there as soon as a metric is made; a missing
    # folder would stop every process (web, worker, manage.py) from starting.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter(
    "alliance_http_requests_total", "HTTP requests answered", ["view", "method", "status"]
)
LATENCY = Histogram(
    "alliance_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SUBMISSIONS = Counter(
    "alliance_submissions_total", "Questionnaires stored (first version)", ["channel"]
)
REMINDERS_SENT = Counter("alliance_reminders_sent_total", "Reminder emails sent")
REMINDERS_FAILED = Counter("alliance_reminders_failed_total", "Reminder emails that failed")


# --- what other code calls ----------------------------------------------------------
def submission_stored(channel: str = "") -> None:
    SUBMISSIONS.labels(channel=channel or "unknown").inc()


def reminder_sent() -> None:
    REMINDERS_SENT.inc()


def reminder_failed() -> None:
    REMINDERS_FAILED.inc()


def connect_signals() -> None:
    from assessments import signals

    signals.response_stored.connect(_on_response_stored, dispatch_uid="metrics.response")
    signals.reminder_sent.connect(_on_reminder_sent, dispatch_uid="metrics.reminder_sent")
    signals.reminder_failed.connect(_on_reminder_failed, dispatch_uid="metrics.reminder_failed")


def _on_response_stored(sender: Any, channel: str = "", **kwargs: Any) -> None:
    submission_stored(channel)


def _on_reminder_sent(sender: Any, **kwargs: Any) -> None:
    reminder_sent()


def _on_reminder_failed(sender: Any, **kwargs: Any) -> None:
    reminder_failed()


# --- queue depth, read when scraped -------------------------------------------------
class QueueDepthCollector(Collector):
    """Length of the Celery queue in Redis; absent when the broker is not Redis."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        url = getattr(settings, "CELERY_BROKER_URL", "") or ""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"
        try:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            depth = client.llen(queue)
        except Exception:
            logger.warning("metrics: could not read the queue length from the broker")
            return
        family = GaugeMetricFamily(
            "alliance_queue_depth", "Tasks waiting in the queue", labels=["queue"]
        )
        family.add_metric([queue], float(depth))
        yield family


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
    else:
        combined = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(_Merged(combined))
    scrape.register(QueueDepthCollector())
    return scrape


class _Merged(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


# --- the endpoint and the request middleware -----------------------------------------
def _authorised(request: HttpRequest) -> bool:
    expected = settings.ALLIANCE_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not expected or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").strip(), expected)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method != "GET" or not _authorised(request):
        # 404 rather than 401/403: the endpoint does not say that it exists.
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts every answered request by view name (bounded; never the raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "unmatched"
        if request.path.startswith(settings.STATIC_URL):
            view = "static"
        elif request.path_info in ("/healthz", "/metrics"):
            view = request.path_info.lstrip("/")  # answered before URL resolving
        LATENCY.labels(view=view).observe(time.perf_counter() - started)
        REQUESTS.labels(
            view=view, method=_method(request.method), status=str(response.status_code)
        ).inc()
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _method(method: str | None) -> str:
    # Any string can arrive as a method; only the standard ones become label values.
    return method if method in _METHODS else "other"
