"""Background tasks of this app: saving a confirmed spreadsheet import."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils.translation import gettext_noop

from .background import TrackedTask
from .models import ImportBatch, ImportStatus
from .services.imports import patients_import_save

log = logging.getLogger(__name__)

QUEUE_DOWN = gettext_noop(
    "The import could not be started (the task queue did not answer). Nothing was "
    "saved; confirm again in a minute."
)


@shared_task(base=TrackedTask, name="alliance.import_save")
def import_save(batch_id: int, ip: str | None = None) -> str:
    batch = patients_import_save(batch_id=batch_id, ip=ip)
    return f"import {batch_id}: {'saved' if batch else 'nothing to do'}"


def queue_import(batch_id: int, ip: str | None) -> None:
    """Queue the save of a claimed batch; without a broker it runs here, at once."""
    try:
        import_save.delay(batch_id, ip)
    except Exception:
        # The broker is down: give the batch back, so the admin can confirm again.
        log.exception("import %s: could not queue the save", batch_id)
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.SAVING).update(
            status=ImportStatus.READY,
            failure=QUEUE_DOWN,
        )
