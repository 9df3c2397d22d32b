"""Enrolling and revoking the waiting-room tablets."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinicians import audit
from clinicians.models import User

from ..models import (
    KioskDevice,
)
from .tokens import hash_token, new_token


@transaction.atomic
def kiosk_enrol(
    *, actor: User, name: str, request: HttpRequest | None = None
) -> tuple[KioskDevice, str]:
    token = new_token()
    device = KioskDevice.objects.create(
        clinic_id=actor.clinic_id,
        name=name.strip()[:80],
        token_hash=hash_token(token),
        created_by=actor,
    )
    audit.record(action="kiosk_enrolled", actor=actor, obj=device, request=request)
    return device, token


@transaction.atomic
def kiosk_revoke(
    *, actor: User, device: KioskDevice, request: HttpRequest | None = None
) -> KioskDevice:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = actor
        device.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(action="kiosk_revoked", actor=actor, obj=device, request=request)
    return device
