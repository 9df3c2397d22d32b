"""Error reports leave without people, answers, tokens, cookies or bodies."""

from __future__ import annotations

import copy
import json

import pytest

from alliance_site.sentry import scrub_breadcrumb, scrub_event

TOKEN = "Zq3-kXp9vB2mN8rT5yW1aL4cE7gH0jK6sDfQ2wE9rT1y"
API_KEY = "alk_1a2b3c4d_Hq8Lx2Vb9Nm4Kp7Rt1Ys6Wd3Fg5Jz0Cv8Bn2Mq"
SECRETS = [
    TOKEN,
    API_KEY,
    "Alice Example",
    "alice@example.test",
    "tess@northside.test",
    "sessionid=abc123session",
    "csrftoken",
    "item_1",
    "Basic dXNlcjpwYXNz",
    "203.0.113.7",
]


def django_event() -> dict:
    """Shaped like an event sentry-sdk's Django integration makes for a 500 on a POST."""
    return {
        "event_id": "f" * 32,
        "level": "error",
        "transaction": f"/q/{TOKEN}",
        "server_name": "app-2",
        "request": {
            "url": f"https://alliance.example.org/q/{TOKEN}?next=/clients/?q=Alice+Example",
            "method": "POST",
            "query_string": "q=Alice+Example",
            "cookies": {"sessionid": "abc123session", "csrftoken": "t0k"},
            "headers": {
                "Cookie": "sessionid=abc123session; csrftoken=t0k",
                "Authorization": f"Bearer {API_KEY}",
                "X-Api-Key": API_KEY,
                "Referer": "https://alliance.example.org/clients/12/?q=Alice+Example",
                "User-Agent": "Mozilla/5.0",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Request-Id": "lb-7f3a2c91-4b0e",
                "X-Forwarded-For": "203.0.113.7",
            },
            "data": {"item_1": "4", "item_2": "5", "name": "Alice Example"},
            "env": {"REMOTE_ADDR": "203.0.113.7"},
        },
        "user": {"id": "17", "email": "tess@northside.test", "username": "tess@northside.test"},
        "exception": {
            "values": [
                {
                    "type": "ValidationError",
                    "value": "Patient Alice Example <alice@example.test> has no therapist",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "response_submit",
                                "vars": {
                                    "answers": {"1": 4, "2": 5},
                                    "token": TOKEN,
                                    "patient": "Alice Example",
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": 'SELECT * FROM patient WHERE email = "alice@example.test"',
                    "data": {"params": ["alice@example.test"]},
                },
                {"category": "http", "message": f"GET /accounts/invitation/MTc/{TOKEN}/"},
            ]
        },
        "extra": {"client": "alice@example.test", "api": f"Bearer {API_KEY}"},
        "logentry": {"message": "export for %s failed", "params": ["alice@example.test"]},
    }


def test_a_django_error_event_keeps_nothing_personal_or_secret() -> None:
    event = scrub_event(django_event(), {})
    text = json.dumps(event)
    for secret in SECRETS:
        assert secret not in text, secret


def test_it_keeps_what_is_needed_to_debug() -> None:
    event = scrub_event(django_event(), {})
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"] == "https://alliance.example.org/q/[filtered]"
    assert event["request"]["headers"] == {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Request-Id": "lb-7f3a2c91-4b0e",
    }
    assert event["user"] == {"id": "17"}
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame == {"function": "response_submit"}
    assert event["exception"]["values"][0]["type"] == "ValidationError"
    assert event["transaction"] == "/q/[filtered]"
    assert event["server_name"] == "app-2"


def test_a_message_event_without_a_request_passes_too() -> None:
    event = {"message": "reminders failed for tess@northside.test", "level": "warning"}
    assert scrub_event(copy.deepcopy(event), None) == {
        "message": "reminders failed for [filtered]",
        "level": "warning",
    }


@pytest.mark.parametrize(
    "crumb",
    [
        {"category": "query", "message": "SELECT 1", "data": {"params": ["alice@example.test"]}},
        {"category": "httplib", "message": f"POST https://x.test/reset/MTc/{TOKEN}/"},
    ],
)
def test_breadcrumbs_lose_their_data_and_secrets(crumb: dict) -> None:
    text = json.dumps(scrub_breadcrumb(crumb, {}))
    assert "alice@example.test" not in text
    assert TOKEN not in text


def test_sentry_sdk_itself_runs_the_scrubber_before_anything_leaves() -> None:
    import sentry_sdk

    from alliance_site import sentry

    sent: list[dict] = []

    class Capture(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope) -> None:  # type: ignore[no-untyped-def]
            for item in envelope.items:
                if item.type == "event":
                    sent.append(item.payload.json)

    sentry.init(
        "https://public@sentry.example.invalid/1",
        environment="test",
        release="",
        traces_sample_rate=0.0,
    )
    client = sentry_sdk.get_client()
    client.transport = Capture(client.options)
    try:
        try:
            # A local the report must not carry (made at run time: the source lines
            # around a frame are sent, and they are code, not data).
            answers = {"item_1": "-".join(["answer", "value", "secret"])}  # noqa: F841
            raise ValueError(f"bad answer from alice@example.test at /q/{TOKEN}")
        except ValueError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    assert len(sent) == 1
    text = json.dumps(sent[0])
    assert "alice@example.test" not in text
    assert TOKEN not in text
    assert "answer-value-secret" not in text
