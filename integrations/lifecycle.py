"""What this app does when a client's identity is erased: export files naming them go,
and exports being written are stopped.

Connected in `IntegrationsConfig.ready` to `clinicians.lifecycle.client_erased`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clinicians.models import Patient

from .conf import export_storage
from .models import ERASED_MEANWHILE, ExportJob, ExportStatus


def identified_jobs(clinic_id: int) -> QuerySet[ExportJob]:
    """The clinic's export jobs that name clients. Spelled out rather than excluding
    `pseudonymised=True`: in SQL that exclusion also drops a job whose parameters lack
    the key (NULL is not "not true")."""
    return ExportJob.objects.filter(clinic_id=clinic_id).filter(
        Q(params__pseudonymised=False) | Q(params__pseudonymised__isnull=True)
    )


def on_client_erased(sender: Any, *, patient: Patient, **_: Any) -> None:
    # Which finished file holds the client cannot be told without reading every file,
    # so every identified export file of the clinic goes (they live a day at most and
    # can be made again, now under the pseudonym). Pseudonymised ones name nobody.
    jobs = identified_jobs(patient.clinic_id).filter(status=ExportStatus.DONE)
    # The jobs are marked now (a download from here on finds no file); the files are
    # deleted once the erasure is committed, so a rolled-back erasure keeps them.
    names = [n for n in jobs.values_list("file_name", flat=True) if n]
    jobs.update(status=ExportStatus.EXPIRED, file_name="")
    transaction.on_commit(lambda: delete_files(names))
    stop_running_exports(patient.clinic_id)


def stop_running_exports(clinic_id: int) -> None:
    """Exports being written now may hold the identity just erased: each is failed, and
    its worker, finding the job no longer running, discards the file it wrote (see
    `export_job_run`). The UPDATE holds the rows' locks until the erasure commits, so a
    worker finishing at this moment waits, then sees the job failed.

    Queued exports are only locked: one claimed after the erasure commits reads the
    pseudonym, and the lock keeps a worker from claiming it (and reading the old
    identity) before then.
    """
    identified = identified_jobs(clinic_id)
    identified.filter(status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, finished_at=timezone.now(), failure=ERASED_MEANWHILE
    )
    list(identified.filter(status=ExportStatus.QUEUED).select_for_update().values_list("pk"))


def delete_files(names: list[str]) -> None:
    storage = export_storage()
    for name in names:
        if storage.exists(name):
            storage.delete(name)
