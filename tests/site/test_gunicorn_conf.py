"""gunicorn's settings file: preloading, recycling, and nothing shared across a fork."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("GUNICORN_PRELOAD", "GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_workers_are_forked_from_a_preloaded_master_and_rarely_recycled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = load(monkeypatch)
    assert conf["preload_app"] is True
    # A worker restarted every 2,000 requests restarted every few seconds under load.
    assert conf["max_requests"] >= 10 * conf["max_requests_jitter"] > 0
    assert conf["max_requests"] >= 20000
    assert load(monkeypatch, GUNICORN_PRELOAD="false")["preload_app"] is False
    assert load(monkeypatch, GUNICORN_PRELOAD="0")["preload_app"] is False


def test_a_forked_worker_closes_the_masters_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load(monkeypatch)
    with (
        mock.patch("django.db.connections.close_all") as db_closed,
        mock.patch("django.core.cache.caches.close_all") as caches_closed,
        mock.patch("gc.freeze") as frozen,
    ):
        conf["post_fork"](server=None, worker=None)
    db_closed.assert_called_once_with()
    caches_closed.assert_called_once_with()
    frozen.assert_called_once_with()  # what the worker loaded stays out of full passes
