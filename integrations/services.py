"""Writes of this app: API keys, export audit lines, background export jobs."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.db import close_old_connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from clinicians import audit
from clinicians.models import User

from . import conf
from .exports.rows import ExportData, ExportFilters
from .exports.writers import export_bytes, file_name
from .models import ApiKey, ExportJob, ExportStatus, Scope

log = logging.getLogger(__name__)

KEY_PREFIX = "alk_"
STALE_AFTER = timedelta(minutes=10)


class IntegrationError(Exception):
    """A request that cannot be carried out; the message is shown as it is."""


# --- API keys ------------------------------------------------------------------------
def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    raw: str  # shown once, never stored


@transaction.atomic
def api_key_create(
    *, actor: User, name: str, scopes: list[str], request: HttpRequest | None = None
) -> NewKey:
    if not actor.is_clinic_admin:
        raise IntegrationError("Only a clinic admin can make API keys.")
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise IntegrationError("Choose at least one of the listed scopes.")
    name = name.strip()
    if not name:
        raise IntegrationError("Give the key a name, e.g. the system that will use it.")
    # 8 random characters to tell keys apart, then 256 bits of secret.
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        clinic_id=actor.clinic_id,
        name=name[:80],
        prefix=prefix,
        key_hash=hash_key(raw),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    audit.record(
        action="api_key_created",
        actor=actor,
        obj=key,
        request=request,
        detail={"prefix": prefix, "scopes": key.scopes},
    )
    return NewKey(key=key, raw=raw)


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey, request: HttpRequest | None = None) -> ApiKey:
    if key.clinic_id != actor.clinic_id or not actor.is_clinic_admin:
        raise IntegrationError("This key is not one of your clinic's.")
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            action="api_key_revoked",
            actor=actor,
            obj=locked,
            request=request,
            detail={"prefix": locked.prefix},
        )
    return locked


def api_key_for(raw: str) -> ApiKey | None:
    """The active key with this secret, or None (unknown, malformed or revoked)."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key = ApiKey.objects.select_related("clinic").filter(key_hash=hash_key(raw)).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


# --- exports -------------------------------------------------------------------------
def export_audit(
    *,
    actor: User,
    fmt: str,
    filters: ExportFilters,
    rows: int,
    request: HttpRequest | None = None,
    job: ExportJob | None = None,
    action: str = "export_downloaded",
) -> None:
    detail = {"format": fmt, "rows": rows, **filters.describe()}
    if job is not None:
        detail["job"] = job.pk
    audit.record(action=action, actor=actor, request=request, obj=job, detail=detail)


@transaction.atomic
def export_job_create(
    *,
    actor: User,
    fmt: str,
    filters: ExportFilters,
    total: int,
    request: HttpRequest | None = None,
) -> ExportJob:
    job = ExportJob.objects.create(
        clinic_id=actor.clinic_id,
        created_by=actor,
        format=fmt,
        params=filters.to_params(),
        total_rows=total,
    )
    export_audit(
        actor=actor,
        fmt=fmt,
        filters=filters,
        rows=total,
        request=request,
        job=job,
        action="export_started",
    )
    if conf.export_in_thread():
        # After the commit, or the thread might look for a job that is not there yet.
        transaction.on_commit(lambda: _start_thread(job.pk))
    return job


def _start_thread(job_id: int) -> None:
    def work() -> None:
        try:
            export_job_run(job_id)
        finally:
            close_old_connections()

    threading.Thread(target=work, name=f"export-{job_id}", daemon=True).start()


def _claim(job_id: int) -> bool:
    """Queued -> running, by one process only (the UPDATE decides who won)."""
    now = timezone.now()
    return bool(
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now
        )
    )


def export_job_run(job_id: int) -> bool:
    """Write one queued job's file. False if someone else runs (or ran) it."""
    if not _claim(job_id):
        return False
    job = ExportJob.objects.select_related("created_by__clinic").get(pk=job_id)
    folder = conf.export_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # One name per job: a job run again after its process died overwrites its own file.
    name = f"export-{job.pk}.{job.format}"
    path = folder / name
    data = ExportData(user=job.created_by, filters=ExportFilters.from_params(job.params))

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done_rows=done, heartbeat_at=timezone.now())

    try:
        data.prepare()
        total = data.count()
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
        # Only the owner may read the file: it holds client data.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        size = 0
        with os.fdopen(fd, "wb") as out:
            for part in export_bytes(data, job.format, progress):
                out.write(part)
                size += len(part)
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            failure=str(exc)[:300] or exc.__class__.__name__,
        )
        return True
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE,
        finished_at=timezone.now(),
        done_rows=total,
        file_name=name,
        download_name=file_name(data, job.format),
        size_bytes=size,
    )
    return True


def export_jobs_sweep(*, now: timezone.datetime | None = None) -> dict[str, int]:
    """Housekeeping for `run_exports`: requeue abandoned jobs, delete old files."""
    now = now or timezone.now()
    requeued = ExportJob.objects.filter(
        status=ExportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    ).update(status=ExportStatus.QUEUED, done_rows=0)
    return {"requeued": requeued, "expired": export_files_expire(now=now)}


def export_files_expire(*, now: timezone.datetime | None = None) -> int:
    """Retention: delete every export file older than ALLIANCE_EXPORT_KEEP_HOURS (24)."""
    now = now or timezone.now()
    return export_files_delete(
        ExportJob.objects.filter(
            status__in=[ExportStatus.DONE, ExportStatus.FAILED],
            finished_at__lt=now - timedelta(hours=conf.export_keep_hours()),
        )
    )


def export_files_delete(jobs: QuerySet[ExportJob]) -> int:
    """Delete these jobs' files through the storage API and mark the jobs expired.

    The row is marked first, in its own UPDATE that only one process wins, so that a
    download starting now finds no file name rather than a half-deleted file.
    """
    storage = conf.export_storage()
    done = 0
    for job in jobs.only("pk", "file_name"):
        claimed = (
            ExportJob.objects.filter(pk=job.pk)
            .exclude(status=ExportStatus.EXPIRED)
            .update(status=ExportStatus.EXPIRED, file_name="")
        )
        if not claimed:
            continue
        if job.file_name and storage.exists(job.file_name):
            storage.delete(job.file_name)
        done += 1
    return done
