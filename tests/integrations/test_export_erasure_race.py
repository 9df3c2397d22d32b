"""An erasure committing while an export finishes, with real threads on PostgreSQL:
the worker's last step waits for the erasure's row lock, then finds its job failed and
discards the file. (The job's start time alone could not tell: the erasure is not yet
committed when the worker checks it.)"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from clinicians import services
from clinicians.models import Patient, User
from integrations import services as integration_services
from integrations.models import ExportJob, ExportStatus

from .conftest import Filled

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_erasure_committing_as_an_export_finishes_discards_the_file(
    admin_a: User, filled: Filled, client_a1: Patient, settings: Any, monkeypatch: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (CI runs it there)")
    services.patient_discharge(actor=admin_a, patient=client_a1)
    job = ExportJob.objects.create(
        clinic=admin_a.clinic, created_by=admin_a, format="csv", params={}, total_rows=4
    )
    erasure_marked = threading.Event()
    real = integration_services.export_bytes

    def writer(*args: Any, **kwargs: Any) -> Any:
        yield from real(*args, **kwargs)  # every row read under the old code
        assert erasure_marked.wait(20)

    monkeypatch.setattr("integrations.services.export_bytes", writer)
    errors: list[BaseException] = []

    def erase() -> None:
        try:
            while not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).exists():
                time.sleep(0.02)
            with transaction.atomic():
                services.patient_erase(actor=admin_a, patient=client_a1)
                erasure_marked.set()
                time.sleep(0.5)  # the worker reaches its last step meanwhile
        except BaseException as exc:  # reported below
            errors.append(exc)
            erasure_marked.set()
        finally:
            connections.close_all()

    def work() -> None:
        try:
            integration_services.export_job_run(job.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=erase), threading.Thread(target=work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.stopped_by_erasure
    assert job.file_name == "" and os.listdir(settings.ALLIANCE_EXPORTS_DIR) == []
