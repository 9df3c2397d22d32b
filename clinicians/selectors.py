"""Reads that feed the console's pages. Each list runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet

from .access import patients_visible_to, therapists_of
from .models import (
    AuditEvent,
    CaseAssignment,
    ImportBatch,
    Patient,
    PatientStatus,
    StaffInvitation,
    User,
)

STATUS_FILTERS = ("active", "discharged", "all")


def with_current_therapist(qs: QuerySet[Patient]) -> QuerySet[Patient]:
    """Join each client's one current assignment (a database constraint keeps it one)."""
    return qs.annotate(
        current=FilteredRelation("assignments", condition=Q(assignments__ended_at__isnull=True))
    ).select_related("current__therapist")


def client_list(
    user: User, *, q: str = "", therapist: str = "", status: str = "active"
) -> QuerySet[Patient]:
    """Clients the user may see, searched by code or name and filtered.

    `therapist` is a therapist's id, "none" for clients without a therapist, or "" for
    all; `status` is one of STATUS_FILTERS. Unknown values filter nothing out.
    """
    qs = with_current_therapist(patients_visible_to(user))
    q = q.strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(display_name__icontains=q))
    if status == "active":
        qs = qs.filter(status=PatientStatus.ACTIVE)
    elif status == "discharged":
        qs = qs.filter(status=PatientStatus.DISCHARGED)
    if therapist == "none":
        qs = qs.filter(current__isnull=True)
    elif therapist.isascii() and therapist.isdigit():
        qs = qs.filter(current__therapist_id=int(therapist))
    return qs.order_by("code", "pk")


def open_invitations(user: User) -> list[StaffInvitation]:
    """The clinic's invitations not yet accepted, most recently sent first.

    Only this clinic's own records: nothing here depends on other clinics.
    """
    if user.clinic_id is None:
        return []
    rows = list(
        StaffInvitation.objects.filter(clinic_id=user.clinic_id, accepted_at__isnull=True)
        .exclude(email__in=User.objects.filter(clinic_id=user.clinic_id).values("email"))
        .order_by("-sent_at", "-pk")
    )
    return rows


def therapist_list(user: User) -> QuerySet[User]:
    """The clinic's therapists with their number of current clients; active ones first."""
    return (
        therapists_of(user)
        .annotate(active_clients=Count("assignments", filter=Q(assignments__ended_at__isnull=True)))
        .order_by("-is_active", "display_name", "email", "pk")
    )


@dataclass(frozen=True)
class Balance:
    therapists: list[User]  # each with .active_clients
    largest: int
    active_clients: int
    unassigned: int
    discharged: int


def caseload_balance(user: User) -> Balance:
    """Active clients per therapist, and the clinic's totals. Two queries."""
    therapists = [t for t in therapist_list(user) if t.is_active or t.active_clients]
    current = CaseAssignment.objects.filter(patient=OuterRef("pk"), ended_at__isnull=True)
    totals = patients_visible_to(user).aggregate(
        active=Count("pk", filter=Q(status=PatientStatus.ACTIVE)),
        unassigned=Count("pk", filter=Q(status=PatientStatus.ACTIVE) & ~Exists(current)),
        discharged=Count("pk", filter=Q(status=PatientStatus.DISCHARGED)),
    )
    return Balance(
        therapists=therapists,
        largest=max((t.active_clients for t in therapists), default=0),
        active_clients=totals["active"],
        unassigned=totals["unassigned"],
        discharged=totals["discharged"],
    )


def caseload_of(therapist: User) -> QuerySet[Patient]:
    """The clients currently assigned to `therapist`, by code."""
    return Patient.objects.filter(
        assignments__therapist=therapist, assignments__ended_at__isnull=True
    ).order_by("code", "pk")


def transfer_proposal(clients: list[Patient], targets: list[User]) -> dict[int, int]:
    """Spread `clients` over `targets`, each to whoever has the fewest clients so far.

    `targets` carry `.active_clients` (from therapist_list); ties go to the first in
    their order, so the same inputs always give the same plan.
    """
    load = {t.pk: t.active_clients for t in targets}
    order = {t.pk: i for i, t in enumerate(targets)}
    plan: dict[int, int] = {}
    for client in clients:
        chosen = min(load, key=lambda pk: (load[pk], order[pk]))
        plan[client.pk] = chosen
        load[chosen] += 1
    return plan


def assignment_history(patient: Patient) -> QuerySet[CaseAssignment]:
    return patient.assignments.select_related("therapist", "assigned_by").order_by(
        "-started_at", "-pk"
    )


def audit_events(
    user: User, *, patient: Patient | None = None, actor: User | None = None, kind: str = ""
) -> QuerySet[AuditEvent]:
    """The user's clinic's audit log, newest first, optionally for one client or actor,
    and only views (reads of client data) or only changes (everything else)."""
    from .audit import READ_ACTIONS

    qs = AuditEvent.objects.filter(clinic_id=user.clinic_id).select_related("patient")
    if kind == "views":
        qs = qs.filter(action__in=READ_ACTIONS)
    elif kind == "changes":
        qs = qs.exclude(action__in=READ_ACTIONS)
    if patient is not None:
        qs = qs.filter(patient=patient)
    if actor is not None:
        qs = qs.filter(actor=actor)
    return qs.order_by("-at", "-pk")


def staff_of(user: User) -> QuerySet[User]:
    """Everyone who signs in at the user's clinic (for the audit log's actor filter)."""
    return User.objects.filter(clinic_id=user.clinic_id).order_by("display_name", "email", "pk")


def recent_imports(user: User, limit: int = 10) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.filter(clinic_id=user.clinic_id)
        .defer("rows")
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
