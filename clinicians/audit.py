"""Writing the audit log. One function, so every caller records the same way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .addresses import client_address
from .models import AuditEvent, Clinic, Patient, User

# How the console's audit page names each action. Other apps may add theirs; an action
# without a label is shown as it is stored.
ACTION_LABELS: dict[str, Any] = {
    "login": _("Signed in"),
    "logout": _("Signed out"),
    "access_refused": _("Page refused"),
    "therapist_invited": _("Therapist invited"),
    "invitation_resent": _("Invitation sent again"),
    "invitation_accepted": _("Invitation accepted, password chosen"),
    "therapist_deactivated": _("Therapist deactivated"),
    "therapist_reactivated": _("Therapist reactivated"),
    "client_created": _("Client added"),
    "client_viewed": _("Client viewed"),
    "client_updated": _("Client details changed"),
    "client_discharged": _("Client discharged"),
    "client_reactivated": _("Client reactivated"),
    "client_assigned": _("Therapist assigned"),
    "client_reassigned": _("Therapist changed"),
    "client_transferred": _("Moved in a caseload transfer"),
    "caseload_transferred": _("Caseload transferred"),
    "client_imported": _("Client added by import"),
    "import_checked": _("Spreadsheet uploaded and checked"),
    "import_confirmed": _("Import confirmed"),
    "import_discarded": _("Import discarded"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def client_ip(request: HttpRequest | None) -> str | None:
    # Behind trusted proxies only: an audit log must not record a forged address.
    return client_address(request)


def build(
    *,
    action: str,
    actor: User | None = None,
    clinic: Clinic | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
    patient: Patient | None = None,
) -> AuditEvent:
    """One unsaved line of the audit log, for `record` or `record_many`."""
    if patient is None and isinstance(obj, Patient):
        patient = obj
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if clinic is None and actor is not None:
        clinic = actor.clinic
    return AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        clinic=clinic,
        patient=patient,
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        ip=client_ip(request),
        detail=detail or {},
    )


def record(
    *,
    action: str,
    actor: User | None = None,
    clinic: Clinic | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
    patient: Patient | None = None,
) -> AuditEvent:
    """Append one line to the audit log. Never pass clinical values in `detail`."""
    event = build(
        action=action,
        actor=actor,
        clinic=clinic,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        request=request,
        detail=detail,
        actor_label=actor_label,
        patient=patient,
    )
    event.save(force_insert=True)
    return event


def record_many(events: list[AuditEvent], *, batch_size: int = 1000) -> None:
    """Append many lines at once (imports, transfers): one INSERT per batch."""
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
