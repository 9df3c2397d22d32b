"""Exports bigger than a direct download run in the background, with progress."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from clinicians import services
from clinicians.models import AuditEvent, User
from integrations.models import ExportJob, ExportStatus
from integrations.services import export_job_run, export_jobs_sweep
from tests.conftest import client_for

from .conftest import Filled
from .helpers import body, ndjson, post_export, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_direct_limit(settings: Any) -> None:
    settings.ALLIANCE_EXPORT_STREAM_MAX_ROWS = 2


def start_job(user: User, **fields: Any) -> tuple[Any, ExportJob]:
    browser = client_for(user)
    response = post_export(browser, **fields)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response.url == f"/exports/jobs/{job.pk}/"
    return browser, job


def test_a_big_export_shows_progress_then_offers_the_file(admin_a: User, filled: Filled) -> None:
    browser, job = start_job(admin_a, format="xlsx", pseudonymised="on")
    page = browser.get(f"/exports/jobs/{job.pk}/").content.decode()
    assert "<progress" in page and "js/export-progress.js" in page
    assert browser.get(f"/exports/jobs/{job.pk}/progress/").json() == {
        "status": "queued",
        "done": 0,
        "total": 4,
        "percent": 0,
    }
    # Not ready yet: the download says so instead of failing.
    assert browser.get(f"/exports/jobs/{job.pk}/download/").status_code == 302

    call_command("run_exports")

    progress = browser.get(f"/exports/jobs/{job.pk}/progress/").json()
    assert progress == {"status": "done", "done": 4, "total": 4, "percent": 100}
    assert "Download" in browser.get(f"/exports/jobs/{job.pk}/").content.decode()
    download = browser.get(f"/exports/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert "pseudonymised" in download["Content-Disposition"]
    rows = xlsx_rows(body(download))
    assert len(rows) == 4 and rows[0]["client_pseudonym"].startswith("P")
    actions = list(AuditEvent.objects.filter(action__startswith="export_").values_list("action"))
    assert sorted(a for (a,) in actions) == ["export_downloaded", "export_started"]


def test_a_fhir_bulk_export_runs_as_a_job_too(therapist_a1: User, filled: Filled) -> None:
    browser, job = start_job(therapist_a1, format="ndjson")
    call_command("run_exports")
    lines = ndjson(body(browser.get(f"/exports/jobs/{job.pk}/download/")))
    assert len(lines) == 3
    assert {r["subject"]["identifier"]["value"] for r in lines} == {"A-001"}


def test_a_job_is_its_creators_alone(
    admin_a: User, therapist_a1: User, admin_b: User, filled: Filled
) -> None:
    _, job = start_job(admin_a)
    call_command("run_exports")
    for other in (therapist_a1, admin_b):
        browser = client_for(other)
        for suffix in ("", "progress/", "download/"):
            assert browser.get(f"/exports/jobs/{job.pk}/{suffix}").status_code == 404


def test_running_the_command_twice_or_at_once_runs_each_job_once(
    admin_a: User, filled: Filled
) -> None:
    _, job = start_job(admin_a)
    assert export_job_run(job.pk) is True
    assert export_job_run(job.pk) is False  # already claimed and done
    call_command("run_exports")
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.done_rows == 4


def test_a_job_abandoned_by_a_dead_process_is_queued_again_and_old_files_go(
    admin_a: User, filled: Filled, settings: Any
) -> None:
    _, job = start_job(admin_a)
    long_ago = timezone.now() - timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, heartbeat_at=long_ago, done_rows=2
    )
    assert export_jobs_sweep()["requeued"] == 1
    call_command("run_exports")
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    path = settings.ALLIANCE_EXPORTS_DIR + "/" + job.file_name
    assert os.path.exists(path)

    later = timezone.now() + timedelta(hours=25)
    assert export_jobs_sweep(now=later)["expired"] == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    assert not os.path.exists(path)
    browser = client_for(admin_a)
    assert browser.get(f"/exports/jobs/{job.pk}/download/").status_code == 302
    assert "deleted" in browser.get(f"/exports/jobs/{job.pk}/").content.decode()


def test_a_failed_job_says_so(
    admin_a: User, filled: Filled, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, job = start_job(admin_a)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr("integrations.services.export_bytes", broken)
    call_command("run_exports")
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.failure == "disk full"
    page = client_for(admin_a).get(f"/exports/jobs/{job.pk}/").content.decode()
    assert "The export failed" in page


def erasing_midway(admin: User, patient: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The export writer, with `patient`'s identity erased after its first chunk (the
    rows are read by then, under the old code)."""
    from integrations import services as integration_services

    real = integration_services.export_bytes

    def writer(*args: Any, **kwargs: Any) -> Any:
        chunks = real(*args, **kwargs)
        yield next(chunks)
        services.patient_erase(actor=admin, patient=patient)
        yield from chunks

    monkeypatch.setattr("integrations.services.export_bytes", writer)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_erasure_while_an_export_is_written_discards_its_file(
    admin_a: User,
    filled: Filled,
    client_a1: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    fmt: str,
) -> None:
    services.patient_discharge(actor=admin_a, patient=client_a1)
    browser, job = start_job(admin_a, format=fmt)
    erasing_midway(admin_a, client_a1, monkeypatch)
    call_command("run_exports")
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.file_name == ""
    assert job.stopped_by_erasure
    assert os.listdir(settings.ALLIANCE_EXPORTS_DIR) == []
    assert browser.get(f"/exports/jobs/{job.pk}/download/").status_code == 302
    page = browser.get(f"/exports/jobs/{job.pk}/").content.decode()
    assert "Please start the export again" in page
    # Run again, it names the client by the pseudonym only.
    monkeypatch.undo()
    browser, again = start_job_again(browser)
    call_command("run_exports")
    again.refresh_from_db()
    assert again.status == ExportStatus.DONE
    text = body(browser.get(f"/exports/jobs/{again.pk}/download/"))
    client_a1.refresh_from_db()
    assert (b"A-001" not in text) and (b"Alice" not in text)


def start_job_again(browser: Any) -> tuple[Any, ExportJob]:
    response = post_export(browser, format="csv")
    assert response.status_code == 302
    return browser, ExportJob.objects.latest("pk")


def test_a_running_export_is_failed_by_the_erasure_itself(
    admin_a: User, filled: Filled, client_a1: Any, settings: Any
) -> None:
    # The worker is mid-file when the erasure commits: the erasure marks the job, and
    # the worker's last step (only a running job becomes done) finds it failed.
    services.patient_discharge(actor=admin_a, patient=client_a1)
    _, job = start_job(admin_a)
    pseudonymised = ExportJob.objects.create(
        clinic=admin_a.clinic,
        created_by=admin_a,
        format="csv",
        params={"pseudonymised": True},
        status=ExportStatus.RUNNING,
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    services.patient_erase(actor=admin_a, patient=client_a1)
    job.refresh_from_db()
    pseudonymised.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.stopped_by_erasure
    assert pseudonymised.status == ExportStatus.RUNNING  # names nobody: left alone
