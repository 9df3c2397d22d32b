"""Erase one client's identity (GDPR Art. 17), as the console's erasure does.

    python manage.py erase_client --clinic northside --code C-0042

Asks to type the code again unless --no-input is given.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicians.models import Clinic, Patient
from clinicians.services import ServiceError, patient_erase


class Command(BaseCommand):
    help = "Erase a client's identity: name, email and notes go, the code becomes a pseudonym."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="the clinic's short name (slug)")
        parser.add_argument("--code", required=True, help="the client's code")
        parser.add_argument(
            "--no-input", action="store_true", help="do not ask to type the code again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with the short name {options['clinic']!r}.")
        code = options["code"].strip()
        patient = Patient.objects.filter(clinic=clinic, code__iexact=code).first()
        if patient is None:
            raise CommandError(f"No client with the code {code!r} in {clinic.slug}.")
        if not options["no_input"]:
            typed = input(
                f"This erases the identity of {patient.code} in {clinic.slug} for good. "
                "Type the code again to confirm: "
            )
            if typed.strip().lower() != patient.code.lower():
                raise CommandError("The code did not match; nothing was erased.")
        try:
            erased = patient_erase(
                actor=None, patient=patient, clinic=clinic, actor_label="manage.py erase_client"
            )
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Erased. The client's pseudonym is {erased.code}.")
