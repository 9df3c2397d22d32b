"""The second factor of staff sign-in: an authenticator app (TOTP) and recovery codes.

Devices are django-otp's own models. A user has at most one TOTP device (confirmed
once a first code from it was accepted) and one static device holding the unused
recovery codes. Every state change is audited; no code or key ever reaches the log.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import audit
from ..models import User
from .errors import ServiceError

DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# No 0/O, 1/l/i: a recovery code is read off paper and typed by hand.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # 10 × log2(31) ≈ 49.5 bits each


def recovery_code_count() -> int:
    return int(getattr(settings, "ALLIANCE_RECOVERY_CODES", 10))


def normalize_code(raw: str) -> str:
    """What a person types, as stored: no spaces or dashes, lower case."""
    return "".join(ch for ch in raw if ch not in " -\t").lower()


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def key_for_reading(device: TOTPDevice) -> str:
    """The device's key in base32 (what authenticator apps accept), in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device being set up; the same one (and key) on every reload."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of `user` with fresh ones; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(recovery_code_count())
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


@dataclass(frozen=True)
class Verification:
    device: TOTPDevice | StaticDevice | None
    # Too many wrong codes came in a row: no code is checked until `wait_until`.
    throttled: bool = False
    wait_until: datetime | None = None
    recovery_codes_left: int | None = None


@transaction.atomic
def second_factor_enrol(
    *, user: User, code: str, request: HttpRequest | None = None
) -> Enrolled | Verification:
    """Confirm the app being set up with its first code; then make the recovery codes.

    Returns Verification (device None) when the code is wrong or must wait.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return Verification(device=None)
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return Verification(
            device=None, throttled=True, wait_until=(data or {}).get("locked_until")
        )
    if not device.verify_token(normalize_code(code)):
        audit.record(action="second_factor_failed", actor=user, request=request)
        return Verification(device=None)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    audit.record(action="second_factor_enrolled", actor=user, obj=user, request=request)
    return Enrolled(device=device, recovery_codes=codes)


@transaction.atomic
def second_factor_verify(
    *, user: User, code: str, request: HttpRequest | None = None
) -> Verification:
    """Check a code from the app or a recovery code (which is then used up).

    Both devices count wrong codes; while either one says wait, nothing is checked, so
    switching between the two kinds of code gains an attacker nothing.
    """
    totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if totp is None:
        return Verification(device=None)
    static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    devices: list[TOTPDevice | StaticDevice] = [totp] + ([static] if static else [])
    waits: list[datetime] = []
    refused = False
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            refused = True
            if data and data.get("locked_until"):
                waits.append(data["locked_until"])
    if refused:
        return Verification(device=None, throttled=True, wait_until=max(waits) if waits else None)
    token = normalize_code(code)
    matched: TOTPDevice | StaticDevice | None = None
    if token.isascii() and token.isdigit() and len(token) == totp.digits:
        if totp.verify_token(token):
            matched = totp
        elif static is not None:
            static.throttle_increment()
    elif static is not None:
        if static.verify_token(token):
            matched = static
        else:
            totp.throttle_increment()
    else:
        totp.throttle_increment()
    if matched is None:
        audit.record(action="second_factor_failed", actor=user, request=request)
        return Verification(device=None)
    left = None
    if isinstance(matched, StaticDevice):
        left = matched.token_set.count()
        audit.record(
            action="recovery_code_used",
            actor=user,
            obj=user,
            request=request,
            detail={"left": left},
        )
    else:
        # The recovery device's count is only about wrong codes in a row.
        if static is not None and static.throttling_failure_count:
            static.throttle_reset()
    return Verification(device=matched, recovery_codes_left=left)


@transaction.atomic
def recovery_codes_regenerate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record(action="recovery_codes_regenerated", actor=user, obj=user, request=request)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def second_factor_reset(
    *, actor: User, therapist: User, request: HttpRequest | None = None
) -> None:
    """An admin removes a therapist's app and recovery codes (a lost phone).

    The therapist sets up a new app at their next sign-in; any session of theirs that
    was verified with the old app is no longer verified and is sent to set-up too.
    """
    locked = User.objects.select_for_update().get(pk=therapist.pk)
    if locked.clinic_id != actor.clinic_id or locked.pk == actor.pk:
        raise ServiceError(_("This person is not a therapist of your clinic."))
    TOTPDevice.objects.filter(user=locked).delete()
    StaticDevice.objects.filter(user=locked).delete()
    audit.record(action="second_factor_reset", actor=actor, obj=locked, request=request)
