"""The demo clinic that `make run` loads. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .models import Clinic, Role, User

DEMO_CLINIC_SLUG = "demo"
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
    return clinic
