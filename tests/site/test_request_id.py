"""Every response and every log line carries the request's id; logs are JSON lines."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from alliance_site.logs import JsonFormatter, RequestIdFilter, request_id_var, sane_request_id

pytestmark = pytest.mark.django_db

UUID_HEX = r"[0-9a-f]{32}"


def test_an_incoming_sane_id_is_kept_and_echoed() -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a2c91-4b0e")
    assert response["X-Request-ID"] == "lb-7f3a2c91-4b0e"


@pytest.mark.parametrize(
    "bad",
    ["", "short", "has space in it", 'quote"injected-value', "x" * 129, "new\nline-0123456789"],
)
def test_an_insane_incoming_id_is_replaced_by_one_of_ours(bad: str) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


def test_without_an_incoming_id_each_request_gets_its_own() -> None:
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/accounts/login/")["X-Request-ID"]
    assert first != second


@given(st.text(max_size=200))
def test_whatever_arrives_the_id_used_is_safe_for_a_header_and_a_log(value: str) -> None:
    chosen = sane_request_id(value)
    assert 8 <= len(chosen) <= 128
    assert all(c.isascii() and (c.isalnum() or c in "._:-") for c in chosen)


def test_log_lines_written_during_a_request_carry_its_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="trace-0123456789")
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records, "Django logs a warning for a 404"
    assert {r.request_id for r in records} == {"trace-0123456789"}
    assert request_id_var.get() == "-"  # and nothing leaks into the next request


def make_record(message: str, *args: object, name: str = "alliance") -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    RequestIdFilter().filter(record)
    return record


def test_a_json_line_has_time_level_logger_message_and_id() -> None:
    token = request_id_var.set("abc-0123456789")
    try:
        line = JsonFormatter().format(make_record("export %s ready", 42))
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "abc-0123456789"
    assert entry["message"] == "export 42 ready"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "alliance"
    assert entry["time"].endswith("+00:00")


def test_json_lines_hide_links_emails_and_keys() -> None:
    line = JsonFormatter().format(
        make_record("Not Found: /q/Zq3-kXp9vB2mN8rT5yW1aL4cE7gH0jK6sD and ada@example.org")
    )
    entry = json.loads(line)
    assert "Zq3-kXp9" not in line
    assert "ada@example.org" not in line
    assert entry["message"].startswith("Not Found: /q/[filtered]")


def test_gunicorn_access_lines_become_json_without_the_query_string() -> None:
    atoms = {
        "h": "10.0.0.9",
        "m": "GET",
        "U": "/q/Zq3-kXp9vB2mN8rT5yW1aL4cE7gH0jK6sD",
        "q": "search=Alice",
        "s": "302",
        "B": "0",
        "M": "12",
        "a": "Mozilla/5.0",
        "{x-request-id}o": "lb-7f3a2c91-4b0e",
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", (), None)
    record.args = atoms  # how gunicorn hands its atoms to the logger
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "lb-7f3a2c91-4b0e"
    assert entry["path"] == "/q/[filtered]"
    assert entry["status"] == "302"
    assert entry["duration_ms"] == "12"
    assert "Alice" not in json.dumps(entry)
    assert "Zq3-kXp9" not in json.dumps(entry)
