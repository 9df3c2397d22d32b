from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assessments.alliance.loadgen import make_load
from assessments.alliance.summaries import refresh_norms
from clinicians.models import Clinic, Role, User


class Command(BaseCommand):
    help = (
        "Create a realistic clinic at scale for benchmarks: therapists, clients, and a "
        "history of completed questionnaires per client (fast bulk insert)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--therapists", type=int, default=50)
        parser.add_argument("--clients", type=int, default=5000)
        parser.add_argument("--questionnaires", type=int, default=30)
        parser.add_argument("--clinic", default="load", help="short name of the clinic to fill")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **o: Any) -> None:
        if min(o["therapists"], o["clients"], o["questionnaires"]) < 1:
            raise CommandError("--therapists, --clients and --questionnaires must be 1 or more.")
        clinic, created = Clinic.objects.get_or_create(
            slug=o["clinic"], defaults={"name": f"Load test clinic ({o['clinic']})"}
        )
        if not created and clinic.patients.exists():
            raise CommandError(
                f"The clinic '{clinic.slug}' already has clients; choose another --clinic."
            )
        if not User.objects.filter(clinic=clinic, role=Role.ADMIN).exists():
            User.objects.create_user(
                email=f"admin@{clinic.slug}.alliance.test",
                password="alliance-demo",  # noqa: S106 - load-test data only
                clinic=clinic,
                role=Role.ADMIN,
                display_name="Load Admin",
            )
        started = time.perf_counter()
        result = make_load(
            clinic=clinic,
            therapists=o["therapists"],
            clients=o["clients"],
            questionnaires=o["questionnaires"],
            seed=o["seed"],
            prefix=clinic.slug[:3].upper(),
        )
        refresh_norms(clinic_id=clinic.pk)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Clinic '{clinic.slug}': {result.therapists} therapists, {result.clients} clients, "
            f"{result.questionnaires} questionnaires in {seconds:.1f} s "
            f"({result.questionnaires / seconds:,.0f} questionnaires/s)."
        )
        self.stdout.write(f"Admin sign-in: admin@{clinic.slug}.alliance.test / alliance-demo")
