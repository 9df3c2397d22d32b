"""What this app does when a client is discharged or their identity is erased.

Connected in `AssessmentsConfig.ready` to the signals of `clinicians.lifecycle`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from clinicians import audit
from clinicians.models import Patient, User

from .models import (
    AccessLink,
    Administration,
    AdministrationStatus,
    AllianceSummary,
    FlagDiscussion,
    OccasionKind,
)
from .schedules.models import OccasionState, ScheduledOccasion
from .schedules.services import apply_clinic_default, schedule_end_for


def withdraw_open(
    *, patient: Patient, actor: User | None, request: HttpRequest | None, reason: str
) -> int:
    """Withdraw every open questionnaire of the client, with its links and kiosk code.

    Expired ones count as open here too: their links are dead already, but withdrawing
    them keeps the "waiting" and "overdue" lists from ever asking for them again.
    """
    now = timezone.now()
    open_ones = list(
        Administration.objects.select_for_update()
        .filter(patient=patient, status=AdministrationStatus.OPEN)
        .order_by("pk")
    )
    if not open_ones:
        return 0
    ids = [a.pk for a in open_ones]
    Administration.objects.filter(pk__in=ids).update(
        status=AdministrationStatus.REVOKED,
        revoked_at=now,
        revoked_by=actor if actor is not None and actor.is_authenticated else None,
        short_code=None,
        short_code_expires_at=None,
    )
    AccessLink.objects.filter(administration_id__in=ids, revoked_at__isnull=True).update(
        revoked_at=now
    )
    # A scheduled one whose email has not gone yet never goes now (the run would skip
    # it anyway); its due time says so rather than waiting.
    ScheduledOccasion.objects.filter(administration_id__in=ids, state=OccasionState.PENDING).update(
        state=OccasionState.WITHDRAWN
    )
    audit.record_many(
        [
            audit.build(
                action="questionnaire_revoked",
                actor=actor,
                clinic=patient.clinic,
                obj=a,
                patient=patient,
                request=request,
                detail={"reason": reason},
                actor_label="" if actor is not None else "system",
            )
            for a in open_ones
        ]
    )
    return len(ids)


def on_client_discharged(
    sender: Any, *, patient: Patient, actor: User | None, request: HttpRequest | None, **_: Any
) -> None:
    withdraw_open(patient=patient, actor=actor, request=request, reason="discharge")
    schedule_end_for(patient=patient, actor=actor, reason="discharged")


def on_clients_created(
    sender: Any, *, patients: list[Patient], actor: User | None, **_: Any
) -> None:
    apply_clinic_default(patients=patients, actor=actor)


def on_client_erased(
    sender: Any, *, patient: Patient, actor: User | None, request: HttpRequest | None, **_: Any
) -> None:
    # An "other" occasion's note is free text staff typed about the client; it may
    # name them. Answers and scores stay; the occasion reads "Other".
    withdraw_open(patient=patient, actor=actor, request=request, reason="erasure")
    schedule_end_for(patient=patient, actor=actor, reason="erased")
    noted = Administration.objects.filter(patient=patient).exclude(occasion_note="")
    notes = set(noted.values_list("occasion_note", flat=True))
    noted.update(occasion_note="")
    # Notes on flags discussed are free text too: emptied, the record of the discussion
    # (who, when, which flags) stays.
    FlagDiscussion.objects.filter(patient=patient).exclude(note="").update(note="")
    # The dashboard's summary row copies the latest occasion's label (the note, for
    # "other"); it becomes the plain label.
    AllianceSummary.objects.filter(patient=patient, occasion_label__in=notes).update(
        occasion_label=str(OccasionKind.OTHER.label)
    )
