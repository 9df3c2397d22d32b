"""Writes of this app: API keys, export audit lines, background export jobs."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicians import audit
from clinicians.models import Patient, User

from . import conf
from .conf import export_storage
from .exports.rows import ExportData, ExportFilters
from .exports.writers import export_bytes, file_name
from .models import ERASED_MEANWHILE, ApiKey, ExportJob, ExportStatus, Scope
from .storage import ChunksFile, ExportFolderError

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
        raise IntegrationError(_("Only a clinic admin can make API keys."))
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise IntegrationError(_("Choose at least one of the listed scopes."))
    name = name.strip()
    if not name:
        raise IntegrationError(_("Give the key a name, e.g. the system that will use it."))
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
        raise IntegrationError(_("This key is not one of your clinic's."))
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
    # After the commit, or the worker might look for a job that is not there yet. No
    # broker (eager mode): it runs here and now, and the page shows it finished.
    transaction.on_commit(lambda: _queue_export(job.pk))
    return job


def _queue_export(job_id: int) -> None:
    from .tasks import export_run  # the task module imports this one

    try:
        export_run.delay(job_id)
    except Exception:
        # The broker is down: the job stays queued and the periodic `exports` task
        # (or `manage.py run_exports`) picks it up; the user sees "waiting to start".
        log.warning("export %s: could not queue the task; it waits for the next sweep", job_id)


def _claim(job_id: int) -> bool:
    """Queued -> running, by one process only (the UPDATE decides who won)."""
    now = timezone.now()
    return bool(
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now
        )
    )


def export_file_name(job: ExportJob) -> str:
    # One name per job: a run after a dead worker replaces its own partial file.
    return f"export-{job.pk}.{job.format}"


def export_job_run(job_id: int) -> bool:
    """Write one queued job's file. False if someone else runs (or ran) it."""
    if not _claim(job_id):
        return False
    job = ExportJob.objects.select_related("created_by__clinic").get(pk=job_id)
    storage = export_storage()
    name = export_file_name(job)
    data = ExportData(user=job.created_by, filters=ExportFilters.from_params(job.params))

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done_rows=done, heartbeat_at=timezone.now())

    try:
        data.prepare()
        total = data.count()
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
        # A partial file of an earlier, abandoned run of this job (never a link to
        # follow: delete removes a symlink itself, and the write below refuses to
        # follow one).
        storage.delete(name)
        content = ChunksFile(export_bytes(data, job.format, progress), name=name)
        saved = storage.save(name, content)
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            failure=_failure_text(exc),
        )
        return True
    # Only a job still running is marked done: an erasure meanwhile has failed it
    # (`lifecycle.stop_running_exports`). The job's start is checked too, so that an
    # identity erased after the rows were read never reaches a download either way.
    running = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING)
    if _erased_since(job):
        running.update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), failure=ERASED_MEANWHILE
        )
        finished = False
    else:
        finished = bool(
            running.update(
                status=ExportStatus.DONE,
                finished_at=timezone.now(),
                done_rows=total,
                file_name=saved,
                download_name=file_name(data, job.format),
                size_bytes=content.written,
            )
        )
    if not finished:
        log.info("export %s: a client was erased while it ran; its file is discarded", job.pk)
        storage.delete(saved)
    return True


def _erased_since(job: ExportJob) -> bool:
    """Whether a client of the job's clinic lost their identity after the job started
    (a pseudonymised export names nobody, so it never needs writing again)."""
    if job.params.get("pseudonymised") or job.started_at is None:
        return False
    return Patient.objects.filter(clinic_id=job.clinic_id, erased_at__gte=job.started_at).exists()


def _failure_text(exc: Exception) -> str:
    if isinstance(exc, ExportFolderError):
        return str(exc)[:300]
    return str(exc)[:300] or exc.__class__.__name__


def export_jobs_sweep(*, now: timezone.datetime | None = None) -> dict[str, int]:
    """Housekeeping: requeue abandoned jobs; delete expired files from the shared
    storage (every host sees the same folder or bucket, so none is left behind)."""
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
    storage = export_storage()
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


def export_jobs_run_queued() -> int:
    """Run every queued job (each claimed by one process); how many this one ran."""
    ran = 0
    for pk in (
        ExportJob.objects.filter(status=ExportStatus.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)
    ):
        if export_job_run(pk):
            ran += 1
    return ran
