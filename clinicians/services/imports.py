"""Importing clients from a spreadsheet: check (upload → preview), then confirm.

The check stores the normalised rows and their errors on an ImportBatch, so the
preview survives a reload and any app server can confirm it. Confirming saves every
valid new row in one transaction with bulk inserts; the client code is the key, so
importing the same file again creates nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import audit, lifecycle
from ..models import (
    CaseAssignment,
    ImportBatch,
    ImportStatus,
    Patient,
    PatientStatus,
    Role,
    User,
)
from ..spreadsheet import COLUMNS, read_spreadsheet
from ..text import has_control_characters, looks_like_formula
from .errors import ServiceError

log = logging.getLogger(__name__)

CHUNK = 1000
# A batch left "saving" this long belongs to a process that died; its transaction
# rolled back, so confirming it again is safe.
STALE_AFTER = timedelta(minutes=15)
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
MAX_LENGTH = {"code": 40, "name": 120, "email": 254, "language": 10, "therapist_email": 254}


def _check(frame: pd.DataFrame, clinic_id: int) -> list[dict[str, Any]]:
    """Each row with its outcome (new / exists / error), errors and notes.

    Three queries whatever the number of rows: existing codes, therapists, nothing else.
    """
    existing = set(
        Patient.objects.filter(clinic_id=clinic_id)
        .annotate(lc=Lower("code"))
        .values_list("lc", flat=True)
    )
    therapists = {
        email.lower(): active
        for email, active in User.objects.filter(
            clinic_id=clinic_id, role=Role.THERAPIST
        ).values_list("email", "is_active")
    }
    lower = frame["code"].str.lower()
    duplicated = lower.duplicated(keep=False) & (lower != "")
    dup_rows: dict[str, list[int]] = (
        frame.loc[duplicated, "row"].groupby(lower[duplicated]).apply(list).to_dict()
    )

    checked: list[dict[str, Any]] = []
    for record in frame[["row", *COLUMNS]].to_dict("records"):
        row = {k: (int(v) if k == "row" else str(v)) for k, v in record.items()}
        errors: list[str] = []
        notes: list[str] = []
        code_lower = row["code"].lower()
        for name in COLUMNS:
            value = row[name]
            if len(value) > MAX_LENGTH[name]:
                errors.append(
                    _("%(column)s is longer than %(max)s characters.")
                    % {"column": name, "max": MAX_LENGTH[name]}
                )
            if has_control_characters(value):
                errors.append(
                    _(
                        "%(column)s holds a line break, a tab or another invisible control "
                        "character; keep it on one line."
                    )
                    % {"column": name}
                )
            elif looks_like_formula(value):
                notes.append(
                    _("%(column)s looks like a spreadsheet formula; it is kept as plain text.")
                    % {"column": name}
                )
        if not row["code"]:
            errors.append(_("The client code is missing."))
        elif code_lower in dup_rows:
            others = ", ".join(str(r) for r in dup_rows[code_lower] if r != row["row"])
            errors.append(
                _("The code %(code)s appears more than once in the file (also row %(rows)s).")
                % {"code": row["code"], "rows": others}
            )
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                errors.append(
                    _("%(email)s is not a valid email address.") % {"email": row["email"]}
                )
        language = (row["language"] or "en").lower().replace("_", "-")
        if LANGUAGE.match(language):
            row["language"] = language
        else:
            errors.append(
                _("%(value)s is not a language code such as en, de or pt-br.")
                % {"value": row["language"]}
            )
        if row["therapist_email"]:
            row["therapist_email"] = row["therapist_email"].lower()
            active = therapists.get(row["therapist_email"])
            if active is None:
                errors.append(
                    _("No therapist of your clinic has the email %(email)s.")
                    % {"email": row["therapist_email"]}
                )
            elif not active:
                errors.append(
                    _("The therapist %(email)s is deactivated.") % {"email": row["therapist_email"]}
                )
        if errors and not (code_lower in existing and code_lower not in dup_rows):
            outcome = "error"
        elif code_lower in existing:
            # The code is the key: a client already here is left as it is.
            outcome, errors = "exists", []
        else:
            outcome = "new"
        row.update(outcome=outcome, errors=errors, notes=notes)
        checked.append(row)
    return checked


def _counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    return {
        "total_rows": len(rows),
        "new_rows": sum(r["outcome"] == "new" for r in rows),
        "existing_rows": sum(r["outcome"] == "exists" for r in rows),
        "error_rows": sum(r["outcome"] == "error" for r in rows),
    }


def patients_import_check(
    *, actor: User, filename: str, data: bytes, request: HttpRequest | None = None
) -> ImportBatch:
    """Read and check an uploaded file; store the preview. Saves no client.

    Raises SpreadsheetError (with a plain reason) when the file cannot be read at all.
    """
    sheet = read_spreadsheet(filename, data)
    rows = _check(sheet.frame, actor.clinic_id)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            clinic_id=actor.clinic_id,
            created_by=actor,
            filename=filename[:255],
            rows=rows,
            ignored_columns=sheet.ignored_columns,
            **_counts(rows),
        )
        audit.record(
            action="import_checked",
            actor=actor,
            obj=batch,
            request=request,
            detail=_counts(rows),
        )
    return batch


def _progress_key(batch_id: int) -> str:
    return f"clinicians:import:{batch_id}:progress"


def import_progress(batch: ImportBatch) -> dict[str, Any]:
    """How far a confirmation has got, for the progress bar.

    The count lives in the cache, outside the saving transaction (which nobody else can
    see into until it commits). With a per-process cache and several app servers the
    bar may show only "importing"; the status itself comes from the database.
    """
    total = batch.new_rows
    if batch.status == ImportStatus.DONE:
        done = total = batch.created_count
    elif batch.status == ImportStatus.SAVING:
        progress = _progress_get(_progress_key(batch.pk))
        if progress is None:
            # The count is unknown (the cache is down, or the work has not begun): the
            # page says "working…" rather than a number it does not have.
            return {"status": batch.status, "done": None, "total": total, "percent": None}
        done = int(progress.get("done", 0))
        total = int(progress.get("total", total))
    else:
        done = 0
    percent = 100 if total == 0 and batch.status == ImportStatus.DONE else 0
    if total:
        percent = min(100, round(100 * done / total))
    return {"status": batch.status, "done": done, "total": total, "percent": percent}


def _progress_get(key: str) -> dict[str, Any] | None:
    try:
        value = cache.get(key)
    except Exception:  # any cache backend's outage (Redis down, timeout)
        log.warning("import progress: the cache did not answer", exc_info=True)
        return None
    return value if isinstance(value, dict) else None


def _progress_set(key: str, done: int, total: int) -> None:
    """Best effort: a cache outage costs the progress bar, never the import."""
    try:
        cache.set(key, {"done": done, "total": total}, 3600)
    except Exception:
        log.warning("import progress: the cache did not answer", exc_info=True)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _save(*, actor: User, batch_id: int, ip: str | None) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    # Check again: since the preview, someone may have added a client with one of these
    # codes or deactivated a therapist. Such rows are skipped, not errors of the save.
    frame = pd.DataFrame(batch.rows, columns=["row", *COLUMNS])
    rows = _check(frame, actor.clinic_id) if len(frame) else []
    therapists = {
        t.email.lower(): t
        for t in User.objects.filter(clinic_id=actor.clinic_id, role=Role.THERAPIST, is_active=True)
    }
    new_rows = [r for r in rows if r["outcome"] == "new"]
    now = timezone.now()
    today = actor.clinic.today()
    key = _progress_key(batch.pk)
    _progress_set(key, 0, len(new_rows))
    created = assigned = 0
    # Chunk by chunk, each client with its assignment and audit line, so the progress
    # bar (which counts clients) moves evenly.
    for chunk in _chunks(new_rows, CHUNK):
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    clinic_id=actor.clinic_id,
                    code=r["code"],
                    display_name=r["name"],
                    email=r["email"],
                    preferred_language=r["language"],
                    status=PatientStatus.ACTIVE,
                    activated_on=today,
                    created_at=now,
                )
                for r in chunk
            ]
        )
        if any(p.pk is None for p in patients):  # a database that cannot return new ids
            by_code = {
                p.code: p
                for p in Patient.objects.filter(
                    clinic_id=actor.clinic_id, code__in=[r["code"] for r in chunk]
                )
            }
            patients = [by_code[r["code"]] for r in chunk]
        pairs = list(zip(patients, chunk, strict=True))
        assignments = CaseAssignment.objects.bulk_create(
            [
                CaseAssignment(
                    patient=p,
                    therapist=therapists[r["therapist_email"]],
                    started_at=now,
                    assigned_by=actor,
                )
                for p, r in pairs
                if r["therapist_email"]
            ]
        )
        audit.record_many(
            [
                audit.build(
                    action="client_imported",
                    actor=actor,
                    obj=p,
                    ip=ip,
                    detail={
                        "import": batch.pk,
                        "therapist": therapists[r["therapist_email"]].pk
                        if r["therapist_email"]
                        else None,
                    },
                )
                for p, r in pairs
            ]
        )
        lifecycle.clients_created.send(sender=Patient, patients=patients, actor=actor)
        created += len(patients)
        assigned += len(assignments)
        _progress_set(key, created, len(new_rows))

    for r in new_rows:
        r["outcome"] = "created"
    counts = _counts(rows)
    batch.rows = rows
    batch.status = ImportStatus.DONE
    batch.created_count = created
    batch.assigned_count = assigned
    batch.existing_rows = counts["existing_rows"]
    batch.error_rows = counts["error_rows"]
    batch.finished_at = timezone.now()
    batch.failure = ""
    batch.save()
    audit.record(
        action="import_confirmed",
        actor=actor,
        obj=batch,
        ip=ip,
        detail={
            "created": created,
            "assigned": assigned,
            "unchanged": counts["existing_rows"],
            "skipped": counts["error_rows"],
        },
    )
    return batch


def patients_import_claim(*, actor: User, batch: ImportBatch) -> None:
    """Mark a checked batch as being saved, by one request only.

    In its own short transaction, so a second click (or a second admin) is refused and
    the progress page, on any server, can see that saving has begun.
    """
    now = timezone.now()
    claimed = (
        ImportBatch.objects.filter(pk=batch.pk, clinic_id=actor.clinic_id)
        .filter(
            Q(status=ImportStatus.READY)
            | Q(status=ImportStatus.SAVING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=ImportStatus.SAVING, started_at=now, confirmed_by=actor, failure="")
    )
    if not claimed:
        raise ServiceError(
            _("This import has already been confirmed or discarded. Nothing more was saved.")
        )


RACE_MESSAGE = gettext_noop(
    "Someone added a client with one of these codes at the same moment, so nothing was "
    "imported. Confirm again: that row will be left unchanged."
)


def patients_import_save(*, batch_id: int, ip: str | None = None) -> ImportBatch | None:
    """Save a claimed batch's valid new rows in one transaction (the background task).

    Idempotent: a batch no longer "saving" (done, or saved by an earlier delivery of the
    same task) is left alone and None is returned.
    """
    batch = ImportBatch.objects.select_related("confirmed_by").filter(pk=batch_id).first()
    if batch is None or batch.status != ImportStatus.SAVING or batch.confirmed_by is None:
        return None
    actor = batch.confirmed_by
    try:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if locked.status != ImportStatus.SAVING:
                return None  # another delivery of this task finished it meanwhile
            return _save(actor=actor, batch_id=batch_id, ip=ip)
    except IntegrityError:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.READY, failure=RACE_MESSAGE
        )
        return None
    except Exception:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportStatus.FAILED,
            # Stored in English, translated where it is shown.
            failure=gettext_noop("The import stopped because of an error; nothing was saved."),
        )
        raise


def patients_import(
    *, actor: User, batch: ImportBatch, request: HttpRequest | None = None
) -> ImportBatch:
    """Claim and save at once, in this process (tests, scripts)."""
    patients_import_claim(actor=actor, batch=batch)
    saved = patients_import_save(batch_id=batch.pk, ip=audit.client_ip(request))
    batch.refresh_from_db()
    if saved is None and batch.failure == RACE_MESSAGE:
        raise ServiceError(_(RACE_MESSAGE))
    return batch


@transaction.atomic
def import_discard(*, actor: User, batch: ImportBatch, request: HttpRequest | None = None) -> None:
    """Throw away a checked batch that will not be confirmed (its rows go too)."""
    updated = ImportBatch.objects.filter(
        pk=batch.pk, clinic_id=actor.clinic_id, status=ImportStatus.READY
    ).update(status=ImportStatus.DISCARDED, rows=[], finished_at=timezone.now())
    if not updated:
        raise ServiceError(_("This import can no longer be discarded."))
    audit.record(action="import_discarded", actor=actor, obj=batch, request=request)
