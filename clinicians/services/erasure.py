"""Erasing a client's identity on request (GDPR Art. 17), keeping the clinical record.

A clinic that must keep clinical records erases identity only: the name, email and
notes go (blank, not a placeholder), the code becomes a pseudonym, and the import rows
naming the client are deleted. Answers and scores stay under the pseudonym; the audit
log's lines point at the same row, so they read the pseudonym too. Other apps remove
what they hold (free-text notes, export files) through `lifecycle.client_erased`.
"""

from __future__ import annotations

import secrets

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, lifecycle
from ..models import Clinic, ImportBatch, Patient, User
from .errors import ServiceError

# No look-alike characters (0/O, 1/I/L), so a pseudonym can be read out and typed.
PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PSEUDONYM_PREFIX = "ERASED-"
# The identity fields blanked on erasure. A field added to Patient that can name the
# client belongs here.
IDENTITY_FIELDS = ("display_name", "email")


def new_pseudonym() -> str:
    """A random code, not derived from anything about the client (so it cannot be
    reversed): 10 characters, about 50 bits."""
    return PSEUDONYM_PREFIX + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(10))


def _rows_naming(rows: list[dict], code: str, email: str) -> list[dict]:
    code, email = code.strip().lower(), email.strip().lower()

    def names_client(row: dict) -> bool:
        row_code = str(row.get("code") or "").strip().lower()
        row_email = str(row.get("email") or "").strip().lower()
        return bool((code and row_code == code) or (email and row_email == email))

    return [r for r in rows if not names_client(r)]


def _erase_import_rows(clinic_id: int, code: str, email: str) -> int:
    """Delete the client's rows from every import batch of the clinic; how many went."""
    removed = 0
    for batch in ImportBatch.objects.select_for_update().filter(clinic_id=clinic_id):
        kept = _rows_naming(batch.rows or [], code, email)
        if len(kept) != len(batch.rows or []):
            removed += len(batch.rows) - len(kept)
            ImportBatch.objects.filter(pk=batch.pk).update(rows=kept)
    return removed


@transaction.atomic
def patient_erase(
    *,
    actor: User | None,
    patient: Patient,
    clinic: Clinic | None = None,
    actor_label: str = "",
    request: HttpRequest | None = None,
) -> Patient:
    """Erase the client's identity. `actor` is a clinic admin; from the command line it
    is None and `clinic` and `actor_label` say where and who."""
    clinic_id = actor.clinic_id if actor is not None else (clinic.pk if clinic else None)
    if actor is not None and not actor.is_clinic_admin:
        raise ServiceError(_("Only a clinic admin can erase a client's identity."))
    locked = Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if locked is None or clinic_id is None or locked.clinic_id != clinic_id:
        raise ServiceError(_("This client is not in your clinic."))
    if locked.erased_at is not None:
        raise ServiceError(_("This client's identity has already been erased."))
    if locked.is_active:
        raise ServiceError(
            _(
                "%(code)s is still active. Discharge them first, so that nothing more is "
                "asked of them, then erase their identity."
            )
            % {"code": locked.code}
        )
    old_code, old_email = locked.code, locked.email
    removed_rows = _erase_import_rows(locked.clinic_id, old_code, old_email)
    for field in IDENTITY_FIELDS:
        setattr(locked, field, "")
    locked.erased_at = timezone.now()
    for _attempt in range(5):
        locked.code = new_pseudonym()
        try:
            with transaction.atomic():
                locked.save(update_fields=["code", "erased_at", *IDENTITY_FIELDS])
            break
        except IntegrityError:  # the same pseudonym drawn twice in one clinic
            continue
    else:  # pragma: no cover - 5 collisions in 2**50 do not happen
        raise ServiceError(_("No pseudonym could be drawn; nothing was erased. Try again."))
    # Django admin's own history names objects by their text (the code, for a client).
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Patient), object_id=str(locked.pk)
    ).update(object_repr=locked.code)
    lifecycle.client_erased.send(sender=Patient, patient=locked, actor=actor, request=request)
    # The old code is not written down anywhere, not even here.
    audit.record(
        action="client_erased",
        actor=actor,
        clinic=locked.clinic,
        obj=locked,
        request=request,
        actor_label=actor_label,
        detail={"import_rows_deleted": removed_rows},
    )
    return locked
