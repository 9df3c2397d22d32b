"""The demo clinic's questionnaire histories, so that `make run` shows live dashboards.

Connected to `clinicians.demo.demo_clinic_seeded`. Deterministic (each client's story
is drawn from a generator seeded with its code) and idempotent: a client who already
has questionnaires is left alone.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.submissions import response_submit, staff_entry_submit
from clinicians.models import CaseAssignment, Clinic, Patient

from ..models import Administration, Channel, OccasionKind, Rater

FORM = "wai-sr-client"


def _story(rng: random.Random, sessions: int) -> list[float]:
    """A level between 0 and 1 per session: most alliances steady or growing, some
    with a rupture (repaired or not), some stuck at the top of the scale."""
    kind = rng.choice(["steady", "steady", "growing", "rupture", "repair", "ceiling", "low"])
    base = {"low": 0.35, "ceiling": 1.0}.get(kind, rng.uniform(0.55, 0.8))
    levels = []
    for n in range(sessions):
        level = base + (0.02 * n if kind == "growing" else 0) + rng.gauss(0, 0.03)
        if kind in ("rupture", "repair") and n == sessions - 2:
            level -= 0.3
        if kind == "rupture" and n == sessions - 1:
            level -= 0.3
        if kind == "ceiling":
            level = 1.0 if n < sessions - 1 else 0.92
        levels.append(min(1.0, max(0.0, level)))
    return levels


def _answers(rng: random.Random, level: float) -> dict[int, int]:
    return {i: max(1, min(5, round(1 + 4 * level + rng.gauss(0, 0.4)))) for i in range(1, 13)}


def seed_demo_questionnaires(clinic: Clinic) -> int:
    created = 0
    today = timezone.localdate()
    done = set(Administration.objects.filter(clinic=clinic).values_list("patient_id", flat=True))
    assignments = (
        CaseAssignment.objects.filter(patient__clinic=clinic, ended_at__isnull=True)
        .select_related("patient", "therapist")
        .order_by("patient__code")
    )
    for assignment in assignments:
        patient: Patient = assignment.patient
        if patient.pk in done:
            continue
        rng = random.Random(patient.code)  # noqa: S311 - demo data, reproducible on purpose
        sessions = rng.randint(0, 10)
        therapist = assignment.therapist
        for n, level in enumerate(_story(rng, sessions), start=1):
            day = today - timedelta(days=7 * (sessions - n) + 3)
            occasion = Occasion(OccasionKind.SESSION, n, "", day)
            issued = administration_request(
                actor=therapist, patient=patient, form_code=FORM, occasion=occasion
            )
            response_submit(
                administration_id=issued.administration.pk,
                answers=_answers(rng, level),
                channel=rng.choice([Channel.LINK, Channel.LINK, Channel.KIOSK]),
            )
            if rng.random() < 0.3:  # the therapist rated some sessions too
                staff_entry_submit(
                    actor=therapist,
                    patient=patient,
                    form_code="wai-s-therapist",
                    rater=Rater.THERAPIST,
                    occasion=occasion,
                    answers={i: max(1, min(7, round(2 + 5 * level))) for i in range(1, 13)},
                )
            created += 1
        if sessions and rng.random() < 0.25:  # a link sent after the last session
            administration_request(
                actor=therapist,
                patient=patient,
                form_code=FORM,
                occasion=Occasion(OccasionKind.SESSION, sessions + 1, "", today),
            )
    return created


def on_demo_clinic_seeded(sender: Any, clinic: Clinic, **kwargs: Any) -> None:
    seed_demo_questionnaires(clinic)
