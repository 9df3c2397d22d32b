"""Writing the audit log. One function, so every caller records the same way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEvent, Clinic, Patient, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted
    # proxy rewrites it, and an audit log must not record a forged address.
    return request.META.get("REMOTE_ADDR") or None


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
    if patient is None and isinstance(obj, Patient):
        patient = obj
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if clinic is None and actor is not None:
        clinic = actor.clinic
    return AuditEvent.objects.create(
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
