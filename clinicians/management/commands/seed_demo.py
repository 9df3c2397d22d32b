from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clinicians.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_clinic
from clinicians.models import Patient


class Command(BaseCommand):
    help = "Create (or leave as it is) the demo clinic with its admin, therapists and clients."

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = seed_demo_clinic()
        self.stdout.write(f"Demo clinic: {clinic.name}")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<10} {login.email}  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {Patient.objects.filter(clinic=clinic).count()} clients")
