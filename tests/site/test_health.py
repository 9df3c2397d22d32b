"""/healthz answers fast: 200 when database and cache answer, 503 naming the part that
hangs or is down, within 2 s either way."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from alliance_site import health

DEADLINE_SECONDS = 2.0


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused at once
    return port


def redis_cache_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def hanging_database(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setattr(health, "uses_postgres", lambda: True)
    monkeypatch.setattr(
        health,
        "database_params",
        lambda: {"dbname": "alliance", "user": "alliance", "host": "127.0.0.1", "port": port},
    )


def timed_get() -> tuple[object, float]:
    started = time.monotonic()
    response = Client().get("/healthz")
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_health_is_ok_when_the_database_and_cache_answer() -> None:
    response, took = timed_get()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert took < DEADLINE_SECONDS


@pytest.mark.django_db
def test_health_is_503_within_two_seconds_when_the_database_hangs(
    monkeypatch: pytest.MonkeyPatch, hanging_port: int
) -> None:
    hanging_database(monkeypatch, hanging_port)
    response, took = timed_get()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failed": ["database"],
        "checks": {"database": "unavailable", "cache": "ok"},
    }
    assert took < DEADLINE_SECONDS


@pytest.mark.django_db
def test_health_is_503_when_the_cache_is_down(closed_port: int) -> None:
    with override_settings(CACHES=redis_cache_at(closed_port)):
        response, took = timed_get()
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"
    assert b"refused" not in response.content.lower()  # no internals in the body
    assert took < DEADLINE_SECONDS


@pytest.mark.django_db
def test_health_is_503_within_two_seconds_when_both_hang(
    monkeypatch: pytest.MonkeyPatch, hanging_port: int
) -> None:
    hanging_database(monkeypatch, hanging_port)
    with override_settings(CACHES=redis_cache_at(hanging_port)):
        response, took = timed_get()
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache", "database"]
    assert took < DEADLINE_SECONDS


@pytest.mark.django_db
def test_health_reads_the_real_redis_when_it_runs() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    with override_settings(CACHES=redis_cache_at(6379)):
        response, _ = timed_get()
    assert response.status_code == 200


@pytest.mark.django_db
def test_health_hides_the_cause_of_a_database_error() -> None:
    with mock.patch.object(health, "check_database", side_effect=OperationalError("secret-dsn")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert b"secret-dsn" not in response.content


@pytest.mark.django_db
def test_health_needs_no_sign_in_and_refuses_writes() -> None:
    assert Client().get("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_postgres_sessions_carry_the_statement_timeout() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("30s",)
        # The server stops a statement that runs past it (here: a lowered one).
        cursor.execute("SET LOCAL statement_timeout = 200")
        with pytest.raises(OperationalError, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(2)")


@pytest.mark.django_db
def test_the_real_postgres_probe_answers_quickly() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    started = time.monotonic()
    health.probe_postgres(health.database_params())
    assert time.monotonic() - started < 1.0


@pytest.mark.django_db
def test_a_probe_by_the_instances_address_is_answered(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["alliance.example.org"]
    response = Client().get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    # Any other page still insists on a known host.
    assert Client().get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
