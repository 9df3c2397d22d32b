"""Who treats whom: assigning one client, and moving a whole caseload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import CaseAssignment, Patient, Role, User
from .errors import AssignmentConflict, ServiceError, TransferStale


@dataclass(frozen=True)
class Assignment:
    assignment: CaseAssignment
    changed: bool
    previous_therapist_id: int | None


def _check_therapist(actor: User, therapist: User) -> User:
    """The therapist, locked, if they can take clients in the actor's clinic."""
    locked = User.objects.select_for_update().filter(pk=therapist.pk).first()
    if locked is None or locked.clinic_id != actor.clinic_id or locked.role != Role.THERAPIST:
        raise ServiceError(_("Choose a therapist of your clinic."))
    if not locked.is_active:
        raise ServiceError(_("%(name)s is deactivated and cannot take clients.") % {"name": locked})
    return locked


def current_assignment(patient: Patient) -> CaseAssignment | None:
    return CaseAssignment.objects.filter(patient=patient, ended_at__isnull=True).first()


def assign_locked(
    *, actor: User, patient: Patient, therapist: User, request: HttpRequest | None
) -> Assignment:
    """Assign a client whose row the caller has locked; for use inside other services."""
    if not patient.is_active:
        raise ServiceError(
            _("%(code)s is discharged. Reactivate the client before assigning a therapist.")
            % {"code": patient.code}
        )
    therapist = _check_therapist(actor, therapist)
    current = current_assignment(patient)
    if current is not None and current.therapist_id == therapist.pk:
        return Assignment(assignment=current, changed=False, previous_therapist_id=therapist.pk)
    now = timezone.now()
    try:
        # A savepoint, so a lost race leaves the outer transaction usable.
        with transaction.atomic():
            if current is not None:
                current.ended_at = now
                current.save(update_fields=["ended_at"])
            new = CaseAssignment.objects.create(
                patient=patient, therapist=therapist, started_at=now, assigned_by=actor
            )
    except IntegrityError as exc:
        # The row lock makes this rare; the one-current-therapist constraint makes it safe.
        raise AssignmentConflict(
            _("Someone changed this client's therapist at the same moment. Check and try again.")
        ) from exc
    audit.record(
        action="client_assigned" if current is None else "client_reassigned",
        actor=actor,
        obj=new,
        patient=patient,
        request=request,
        detail={
            "therapist": therapist.pk,
            "previous_therapist": current.therapist_id if current else None,
        },
    )
    return Assignment(
        assignment=new,
        changed=True,
        previous_therapist_id=current.therapist_id if current else None,
    )


@transaction.atomic
def case_assign(
    *, actor: User, patient: Patient, therapist: User, request: HttpRequest | None = None
) -> Assignment:
    """Make `therapist` the client's one current therapist, ending the previous stretch.

    The client's row is locked first, so two admins assigning the same client at once
    take turns; the database constraint of one current therapist is the backstop.
    """
    locked = Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if locked is None or locked.clinic_id != actor.clinic_id:
        raise ServiceError(_("This client is not in your clinic."))
    return assign_locked(actor=actor, patient=locked, therapist=therapist, request=request)


@dataclass(frozen=True)
class Transfer:
    moved: int
    by_therapist: dict[int, int]


@transaction.atomic
def caseload_transfer(
    *,
    actor: User,
    source: User,
    plan: Mapping[int, int],
    request: HttpRequest | None = None,
) -> Transfer:
    """Move every current client of `source` to the therapist `plan` names for them.

    `plan` maps client id → therapist id and must cover the source's whole current
    caseload as it is now; if the caseload changed since the preview, nothing moves.
    """
    if source.clinic_id != actor.clinic_id or source.role != Role.THERAPIST:
        raise ServiceError(_("This person is not a therapist of your clinic."))
    # Lock the clients first (in id order, as case_assign does one at a time), then
    # the therapists, so concurrent assignments wait instead of deadlocking.
    patients = list(
        Patient.objects.select_for_update()
        .filter(clinic_id=actor.clinic_id, pk__in=list(plan))
        .order_by("pk")
    )
    current = {
        a.patient_id: a
        for a in CaseAssignment.objects.filter(therapist=source, ended_at__isnull=True)
    }
    if set(current) != set(plan) or len(patients) != len(plan):
        raise TransferStale(
            _(
                "%(name)s's caseload changed since the preview. Check the new preview "
                "and confirm again."
            )
            % {"name": source}
        )
    if not plan:
        raise ServiceError(_("%(name)s has no clients to transfer.") % {"name": source})
    target_ids = sorted(set(plan.values()))
    if source.pk in target_ids:
        raise ServiceError(_("Choose therapists other than %(name)s.") % {"name": source})
    targets = {
        t.pk: t
        for t in User.objects.select_for_update()
        .filter(pk__in=target_ids, clinic_id=actor.clinic_id, role=Role.THERAPIST)
        .order_by("pk")
    }
    if set(targets) != set(target_ids):
        raise ServiceError(_("Choose therapists of your clinic."))
    inactive = [t for t in targets.values() if not t.is_active]
    if inactive:
        raise ServiceError(
            _("%(name)s is deactivated and cannot take clients.") % {"name": inactive[0]}
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            CaseAssignment.objects.filter(pk__in=[a.pk for a in current.values()]).update(
                ended_at=now
            )
            new = CaseAssignment.objects.bulk_create(
                [
                    CaseAssignment(
                        patient=p, therapist=targets[plan[p.pk]], started_at=now, assigned_by=actor
                    )
                    for p in patients
                ]
            )
    except IntegrityError as exc:
        raise AssignmentConflict(
            _("Someone changed these clients' therapists at the same moment. Try again.")
        ) from exc
    by_therapist: dict[int, int] = {}
    for p in patients:
        by_therapist[plan[p.pk]] = by_therapist.get(plan[p.pk], 0) + 1
    events = [
        audit.build(
            action="client_transferred",
            actor=actor,
            obj=p,
            request=request,
            detail={"therapist": plan[p.pk], "previous_therapist": source.pk},
        )
        for p in patients
    ]
    events.append(
        audit.build(
            action="caseload_transferred",
            actor=actor,
            obj=source,
            request=request,
            detail={"moved": len(new), "to": {str(k): v for k, v in by_therapist.items()}},
        )
    )
    audit.record_many(events)
    return Transfer(moved=len(new), by_therapist=by_therapist)
