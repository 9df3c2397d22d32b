"""The demo clinic that `make run` loads. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal

from .models import CaseAssignment, Clinic, Patient, Role, User

DEMO_CLINIC_SLUG = "demo"

# Sent inside the seeding transaction, with `clinic`; receivers must be idempotent.
demo_clinic_seeded = Signal()
DEMO_PASSWORD = "alliance-demo"  # noqa: S105 - published on purpose: demo data only


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    display_name: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin@demo.alliance.test", Role.ADMIN, "Morgan Admin"),
    DemoLogin("rivera@demo.alliance.test", Role.THERAPIST, "Dr. Alex Rivera"),
    DemoLogin("chen@demo.alliance.test", Role.THERAPIST, "Sam Chen"),
)


# Invented names for the demo clients (any likeness is chance).
_FIRST = (
    "Alex",
    "Bea",
    "Cyril",
    "Dana",
    "Eli",
    "Fern",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lena",
    "Milo",
    "Nora",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tove",
)
_LAST = ("Abbott", "Brandt", "Costa", "Dahl", "Ekberg", "Fiore", "Gale", "Holm")
DEMO_CLIENT_COUNT = 40


def _demo_clients() -> list[tuple[str, str, int]]:
    """(code, name, therapist index) for each demo client; Dr. Rivera has a few more."""
    return [
        (
            f"D-{i + 1:03d}",
            f"{_FIRST[i % len(_FIRST)]} {_LAST[(i * 3) % len(_LAST)]}",
            0 if i % 9 < 5 else 1,
        )
        for i in range(DEMO_CLIENT_COUNT)
    ]


def seed_demo_clients(clinic: Clinic) -> int:
    """About 40 active clients spread over the two demo therapists; returns how many
    were created (none on a second run: existing codes are left alone)."""
    therapists = [
        User.objects.get(email=login.email) for login in DEMO_LOGINS if login.role == Role.THERAPIST
    ]
    admin = User.objects.filter(clinic=clinic, role=Role.ADMIN).first()
    existing = {
        c.lower() for c in Patient.objects.filter(clinic=clinic).values_list("code", flat=True)
    }
    created = 0
    for code, name, which in _demo_clients():
        if code.lower() in existing:
            continue
        patient = Patient.objects.create(clinic=clinic, code=code, display_name=name)
        CaseAssignment.objects.create(
            patient=patient, therapist=therapists[which], assigned_by=admin
        )
        created += 1
    return created


@transaction.atomic
def seed_demo_clinic() -> Clinic:
    clinic, _ = Clinic.objects.get_or_create(
        slug=DEMO_CLINIC_SLUG, defaults={"name": "Riverside Counselling (demo)"}
    )
    for login in DEMO_LOGINS:
        if User.objects.filter(email=login.email).exists():
            # Never touch an existing account: the password hash would change on
            # every run, and someone may have changed the demo password on purpose.
            continue
        User.objects.create_user(
            email=login.email,
            password=DEMO_PASSWORD,
            clinic=clinic,
            role=login.role,
            display_name=login.display_name,
        )
    seed_demo_clients(clinic)
    # Other apps add their part of the demo (questionnaire histories) without this app
    # having to know about them.
    demo_clinic_seeded.send(sender=Clinic, clinic=clinic)
    return clinic
