"""Retention: what this app stops keeping once it is no longer needed.

Each job is a plain function, idempotent and safe to run twice at once or late; the
`retention` command (and the task queue's schedule) runs them. Nothing here touches a
clinical record: clients, assignments, questionnaires and scores are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from . import audit
from .models import AuditEvent, ImportBatch, ImportStatus

# The session variable the PostgreSQL trigger on the audit table honours: DELETE is
# allowed only inside a transaction that set it, and only for lines older than the
# minimum retention (see README, "Retention").
AUDIT_PRUNE_SETTING = "alliance.audit_prune"
AUDIT_MIN_YEARS = 6
PRUNE_BATCH = 5000


def import_retention_days() -> int:
    return int(getattr(settings, "ALLIANCE_IMPORT_RETENTION_DAYS", 30))


def audit_retention_years() -> int:
    years = int(getattr(settings, "ALLIANCE_AUDIT_RETENTION_YEARS", AUDIT_MIN_YEARS))
    if years < AUDIT_MIN_YEARS:
        raise ImproperlyConfigured(
            f"ALLIANCE_AUDIT_RETENTION_YEARS must be at least {AUDIT_MIN_YEARS}, not {years}."
        )
    return years


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)


def import_batches_forget(*, now: datetime | None = None) -> int:
    """Blank the names and emails of import batches older than the retention period.

    Checked-but-unconfirmed batches are discarded too: a preview kept that long is not
    going to be confirmed, and confirming it now would add clients without names.
    Codes stay, so a batch still says which clients it added. Returns batches changed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=import_retention_days())
    changed = 0
    candidates = ImportBatch.objects.filter(
        created_at__lt=cutoff, identity_removed_at__isnull=True
    ).exclude(status=ImportStatus.SAVING)
    for pk in candidates.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, identity_removed_at__isnull=True)
                .exclude(status=ImportStatus.SAVING)
                .first()
            )
            if batch is None:  # another run has it, or it is being confirmed right now
                continue
            batch.rows = [{**row, "name": "", "email": ""} for row in batch.rows or []]
            batch.identity_removed_at = now
            fields = ["rows", "identity_removed_at"]
            if batch.status == ImportStatus.READY:
                batch.status = ImportStatus.DISCARDED
                batch.finished_at = now
                fields += ["status", "finished_at"]
            batch.save(update_fields=fields)
            changed += 1
    return changed


def sessions_clear() -> int:
    """Delete expired sessions (staff, client and kiosk). Returns how many went, when the
    session engine can count them (the database engine can)."""
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE.endswith(".db"):
        from django.contrib.sessions.models import Session

        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return deleted
    engine.SessionStore.clear_expired()
    return 0


def audit_prune(*, now: datetime | None = None) -> int:
    """Delete audit lines older than ALLIANCE_AUDIT_RETENTION_YEARS (never under 6).

    The audit log is append-only, in the application and (on PostgreSQL) in the database:
    this is the one place that deletes, in batches, each in a transaction that sets
    `alliance.audit_prune` so the trigger lets it through. A line records the pruning.
    """
    now = now or timezone.now()
    cutoff = years_before(now, audit_retention_years())
    total = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'on', true)", [AUDIT_PRUNE_SETTING])
            pks = list(
                AuditEvent.objects.filter(at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:PRUNE_BATCH]
            )
            if not pks:
                break
            # A queryset delete: AuditEvent.delete() refuses on purpose.
            deleted, _ = AuditEvent.objects.filter(pk__in=pks).delete()
            total += deleted
    if total:
        audit.record(
            action="audit_pruned",
            actor_label="system",
            detail={"deleted": total, "before": cutoff.isoformat()},
        )
    return total
