"""What this app does when a client's identity is erased: export files naming them go.

Connected in `IntegrationsConfig.ready` to `clinicians.lifecycle.client_erased`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from clinicians.models import Patient

from . import conf
from .models import ExportJob, ExportStatus


def on_client_erased(sender: Any, *, patient: Patient, **_: Any) -> None:
    # Which finished file holds the client cannot be told without reading every file,
    # so every identified export file of the clinic goes (they live a day at most and
    # can be made again, now under the pseudonym). Pseudonymised ones name nobody.
    jobs = ExportJob.objects.filter(clinic_id=patient.clinic_id, status=ExportStatus.DONE).exclude(
        params__pseudonymised=True
    )
    # The jobs are marked now (a download from here on finds no file); the files are
    # deleted once the erasure is committed, so a rolled-back erasure keeps them.
    names = [n for n in jobs.values_list("file_name", flat=True) if n]
    jobs.update(status=ExportStatus.EXPIRED, file_name="")
    transaction.on_commit(lambda: delete_files(names))


def delete_files(names: list[str]) -> None:
    storage = conf.export_storage()
    for name in names:
        if storage.exists(name):
            storage.delete(name)
