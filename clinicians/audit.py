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
    "second_factor_enrolled": _("Authenticator app set up"),
    "second_factor_failed": _("Wrong sign-in code"),
    "second_factor_reset": _("Second factor reset"),
    "recovery_code_used": _("Signed in with a recovery code"),
    "recovery_codes_regenerated": _("New recovery codes made"),
    "therapist_invited": _("Therapist invited"),
    "invitation_resent": _("Invitation sent again"),
    "invitation_accepted": _("Invitation accepted, password chosen"),
    "therapist_deactivated": _("Therapist deactivated"),
    "therapist_reactivated": _("Therapist reactivated"),
    "client_created": _("Client added"),
    "client_viewed": _("Client viewed"),
    "client_data_viewed": _("Client data viewed"),
    "client_list_viewed": _("List of clients viewed"),
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
    "client_erased": _("Client's identity erased on request"),
    "access_request_downloaded": _("Client's data downloaded (access request)"),
    "audit_pruned": _("Audit lines past the retention period removed"),
}


# Actions that read client data without changing it: the audit page's "Views" filter.
# Other apps add theirs (downloads, API calls) in their AppConfig.ready.
READ_ACTIONS: set[str] = {"client_viewed", "client_data_viewed", "client_list_viewed"}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def client_ip(request: HttpRequest | None) -> str | None:
    # Behind trusted proxies only: an audit log must not record a forged address.
    return client_address(request)


# C0 controls but tab, and DEL. PostgreSQL cannot store NUL in text or JSON at all, and
# the others only confuse whoever reads the log.
_CONTROL = dict.fromkeys([*range(0, 9), *range(10, 32), 127], "\ufffd")


def _clean(value: Any) -> Any:
    """A value fit for the log: control characters (NUL above all) replaced, in text
    at any depth; an edited URL's junk must be recorded, not crash the request."""
    if isinstance(value, str):
        return value.translate(_CONTROL)
    if isinstance(value, dict):
        return {_clean(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


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
    ip: str | None = None,
) -> AuditEvent:
    """One unsaved line of the audit log, for `record` or `record_many`."""
    if patient is None and isinstance(obj, Patient):
        patient = obj
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    clinic_id = clinic.pk if clinic is not None else None
    if clinic_id is None and actor is not None:
        clinic_id = actor.clinic_id  # the id only: no query for the clinic row
    return AuditEvent(
        action=action,
        actor=actor,
        actor_label=_clean(actor_label or (actor.email if actor else "")),
        clinic_id=clinic_id,
        patient=patient,
        object_type=_clean(object_type),
        object_id=_clean(str(object_id))[:64] if object_id != "" else "",
        # `ip` is for work done later, away from the request (a background task).
        ip=ip or client_ip(request),
        detail=_clean(detail or {}),
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
    ip: str | None = None,
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
        ip=ip,
    )
    event.save(force_insert=True)
    return event


def record_view(
    request: HttpRequest, *, page: str, patient: Patient, obj: Any = None
) -> AuditEvent:
    """A staff member saw one client's data on `page` (its name, not its content)."""
    return record(
        action="client_data_viewed",
        actor=request.user,  # type: ignore[arg-type]
        clinic=None,
        obj=obj if obj is not None else patient,
        patient=patient,
        request=request,
        detail={"page": page},
    )


def record_list_view(request: HttpRequest, *, page: str) -> AuditEvent:
    """A staff member saw a list of many clients: one line naming the list, not one per
    client, so a dashboard read costs one insert. The list's filters are in the URL the
    line does not keep; who, when and from where are enough to ask why."""
    return record(
        action="client_list_viewed",
        actor=request.user,  # type: ignore[arg-type]
        request=request,
        detail={"page": page},
    )


def record_many(events: list[AuditEvent], *, batch_size: int = 1000) -> None:
    """Append many lines at once (imports, transfers): one INSERT per batch."""
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
