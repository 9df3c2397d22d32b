"""/metrics: private, and counting requests, submissions, reminders and the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from assessments.questionnaires.links import IssuedLink
from assessments.questionnaires.reminders import administration_email, reminders_send
from clinicians.models import User
from tests.questionnaires.fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "m" * 40


def value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def scrape(token: str | None = METRICS_TOKEN) -> dict[str, dict]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with override_settings(ALLIANCE_METRICS_TOKEN=METRICS_TOKEN):
        response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    return {
        family.name: family for family in text_string_to_metric_families(response.content.decode())
    }


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}", "Bearer "])
def test_metrics_answer_404_without_the_token(header: str | None) -> None:
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    with override_settings(ALLIANCE_METRICS_TOKEN=METRICS_TOKEN):
        assert Client().get("/metrics", **headers).status_code == 404


def test_metrics_answer_404_to_everyone_when_no_token_is_set() -> None:
    with override_settings(ALLIANCE_METRICS_TOKEN=""):
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_requests_are_counted_by_view_and_status_with_their_latency() -> None:
    labels = {"view": "healthz", "method": "GET", "status": "200"}
    before = value("alliance_http_requests_total", labels)
    latency_before = value("alliance_http_request_duration_seconds_count", {"view": "healthz"})
    Client().get("/healthz")
    Client().get("/healthz")
    Client().get("/no-such-page/")
    assert value("alliance_http_requests_total", labels) == before + 2
    assert (
        value("alliance_http_request_duration_seconds_count", {"view": "healthz"})
        == latency_before + 2
    )
    families = scrape()
    assert "alliance_http_requests" in families
    assert "alliance_http_request_duration_seconds" in families
    unmatched = {"view": "unmatched", "method": "GET", "status": "404"}
    assert value("alliance_http_requests_total", unmatched) >= 1


def test_an_odd_method_does_not_make_a_new_label() -> None:
    Client().generic("BREW", "/healthz")
    assert (
        value(
            "alliance_http_requests_total", {"view": "healthz", "method": "other", "status": "405"}
        )
        >= 1
    )


def test_a_stored_submission_is_counted_once(
    issued: IssuedLink, django_capture_on_commit_callbacks
) -> None:
    labels = {"channel": "link"}
    before = value("alliance_submissions_total", labels)
    browser = open_questionnaire(issued.token)
    with django_capture_on_commit_callbacks(execute=True):
        post_answers(browser, all_answers())
        post_answers(browser, all_answers())  # a double click stores nothing more
    assert value("alliance_submissions_total", labels) == before + 1


def test_reminders_sent_and_failed_are_counted(issued: IssuedLink, therapist_a1: User) -> None:
    administration_email(actor=therapist_a1, administration=issued.administration)
    later = timezone.now() + timedelta(days=3)
    sent, failed = value("alliance_reminders_sent_total"), value("alliance_reminders_failed_total")
    broken = override_settings(EMAIL_BACKEND="tests.clinicians.broken_mail.Backend")
    with broken:
        # The run records the failure on the questionnaire and carries on (issue 11).
        assert reminders_send(now=later).failed == 1
    assert value("alliance_reminders_failed_total") == failed + 1
    assert value("alliance_reminders_sent_total") == sent
    mail.outbox.clear()
    assert reminders_send(now=later).sent == 1
    assert value("alliance_reminders_sent_total") == sent + 1


def test_queue_depth_is_absent_without_a_redis_broker() -> None:
    with override_settings(CELERY_BROKER_URL="memory://"):
        assert "alliance_queue_depth" not in scrape()


def test_queue_depth_reads_the_celery_list_in_redis() -> None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    queue = "alliance-test-queue"
    client.delete(queue)
    client.rpush(queue, "a", "b", "c")
    try:
        with override_settings(CELERY_BROKER_URL=url, CELERY_TASK_DEFAULT_QUEUE=queue):
            families = scrape()
    finally:
        client.delete(queue)
    samples = families["alliance_queue_depth"].samples
    assert [(s.labels, s.value) for s in samples] == [({"queue": queue}, 3.0)]


def test_queue_depth_is_absent_when_redis_is_down() -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        assert "alliance_queue_depth" not in scrape()


def test_prometheus_can_scrape_an_instance_by_its_address(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["alliance.example.org"]
    settings.ALLIANCE_METRICS_TOKEN = METRICS_TOKEN
    browser = Client(HTTP_HOST="10.0.0.5:8000")
    assert browser.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").status_code == 200
    assert browser.get("/metrics").status_code == 404


def test_several_worker_processes_add_up_in_multiprocess_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),  # made when missing
        "DJANGO_SETTINGS_MODULE": "alliance_site.settings",
    }
    setup = "import django; django.setup(); from alliance_site import metrics; "
    for _ in range(2):  # two gunicorn workers, each storing a submission
        subprocess.run(
            [sys.executable, "-c", setup + "metrics.submission_stored('kiosk')"],
            cwd=root,
            env=env,
            check=True,
            timeout=120,
        )
    scraped = subprocess.run(
        [
            sys.executable,
            "-c",
            setup + "from prometheus_client import generate_latest; "
            "print(generate_latest(metrics.registry()).decode())",
        ],
        cwd=root,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    assert 'alliance_submissions_total{channel="kiosk"} 2.0' in scraped
