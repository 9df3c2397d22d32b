"""Creating, editing, discharging and reactivating clients. Nothing is ever deleted."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, lifecycle
from ..models import CaseAssignment, Patient, PatientStatus, User
from .caseloads import assign_locked
from .errors import ServiceError

EDITABLE_FIELDS = ("code", "display_name", "email", "preferred_language")


def _code_taken(code: str) -> ServiceError:
    return ServiceError(
        _("A client with the code %(code)s already exists in your clinic.") % {"code": code}
    )


def _lock(actor: User, patient: Patient) -> Patient:
    locked = Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if locked is None or locked.clinic_id != actor.clinic_id:
        raise ServiceError(_("This client is not in your clinic."))
    return locked


@transaction.atomic
def patient_create(
    *,
    actor: User,
    code: str,
    display_name: str = "",
    email: str = "",
    preferred_language: str = "en",
    therapist: User | None = None,
    request: HttpRequest | None = None,
) -> Patient:
    """Add a client to the actor's clinic, optionally straight onto a caseload."""
    code = code.strip()
    if Patient.objects.filter(clinic_id=actor.clinic_id, code__iexact=code).exists():
        raise _code_taken(code)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                clinic_id=actor.clinic_id,
                code=code,
                display_name=display_name.strip(),
                email=email.strip(),
                preferred_language=preferred_language or "en",
            )
    except IntegrityError as exc:  # created by someone else just now
        raise _code_taken(code) from exc
    audit.record(action="client_created", actor=actor, obj=patient, request=request)
    if therapist is not None:
        # The new row is ours alone until commit; no lock needed to assign it.
        assign_locked(actor=actor, patient=patient, therapist=therapist, request=request)
    lifecycle.clients_created.send(sender=Patient, patients=[patient], actor=actor)
    return patient


@transaction.atomic
def patient_update(
    *,
    actor: User,
    patient: Patient,
    code: str,
    display_name: str,
    email: str,
    preferred_language: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change a client's details; returns the names of the fields that changed."""
    locked = _lock(actor, patient)
    new = {
        "code": code.strip(),
        "display_name": display_name.strip(),
        "email": email.strip(),
        "preferred_language": preferred_language or "en",
    }
    changed = [f for f in EDITABLE_FIELDS if getattr(locked, f) != new[f]]
    if not changed:
        return []
    if (
        "code" in changed
        and Patient.objects.filter(clinic_id=actor.clinic_id, code__iexact=new["code"])
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise _code_taken(new["code"])
    for field in changed:
        setattr(locked, field, new[field])
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError as exc:
        raise _code_taken(new["code"]) from exc
    # Field names only: the log says what changed, not what it says now.
    audit.record(
        action="client_updated",
        actor=actor,
        obj=locked,
        request=request,
        detail={"fields": changed},
    )
    return changed


@transaction.atomic
def patient_discharge(
    *,
    actor: User,
    patient: Patient,
    on: date | None = None,
    request: HttpRequest | None = None,
) -> Patient:
    """Discharge a client: their current therapist stretch ends; history stays."""
    locked = _lock(actor, patient)
    if not locked.is_active:
        raise ServiceError(_("%(code)s is already discharged.") % {"code": locked.code})
    now = timezone.now()
    locked.status = PatientStatus.DISCHARGED
    locked.discharged_on = on or actor.clinic.today()
    locked.save(update_fields=["status", "discharged_on"])
    ended = CaseAssignment.objects.filter(patient=locked, ended_at__isnull=True).first()
    if ended is not None:
        ended.ended_at = now
        ended.save(update_fields=["ended_at"])
    audit.record(
        action="client_discharged",
        actor=actor,
        obj=locked,
        request=request,
        detail={"previous_therapist": ended.therapist_id if ended else None},
    )
    # Open questionnaires, links and kiosk codes go too (in `assessments`), in this
    # transaction: a discharged client is asked for nothing more.
    lifecycle.client_discharged.send(sender=Patient, patient=locked, actor=actor, request=request)
    return locked


@transaction.atomic
def patient_reactivate(
    *,
    actor: User,
    patient: Patient,
    therapist: User | None = None,
    request: HttpRequest | None = None,
) -> Patient:
    """Bring a discharged client back, unassigned or onto `therapist`'s caseload."""
    locked = _lock(actor, patient)
    if locked.is_active:
        raise ServiceError(_("%(code)s is already active.") % {"code": locked.code})
    if locked.erased_at is not None:
        raise ServiceError(_("This client's identity was erased; add them again as new."))
    previous_discharge = locked.discharged_on
    locked.status = PatientStatus.ACTIVE
    locked.discharged_on = None
    locked.activated_on = actor.clinic.today()
    locked.save(update_fields=["status", "discharged_on", "activated_on"])
    audit.record(
        action="client_reactivated",
        actor=actor,
        obj=locked,
        request=request,
        detail={"discharged_on": previous_discharge.isoformat() if previous_discharge else None},
    )
    if therapist is not None:
        assign_locked(actor=actor, patient=locked, therapist=therapist, request=request)
    return locked
