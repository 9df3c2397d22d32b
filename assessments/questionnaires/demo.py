"""The demo clinic's questionnaire histories, so that `make run` shows live dashboards.

Connected to `clinicians.demo.demo_clinic_seeded`. Deterministic (each client's story
is drawn from a generator seeded with its code) and idempotent: a client who already
has questionnaires is left alone.

It should look like a real caseload: most alliances steady or growing, with the noise
of real answers, and a few stories told on purpose - one open rupture, one repaired
rupture, one first dip after top scores, one pair of client and therapist ratings that
differ (on the forms built to pair, WAI-S client and WAI-S therapist), one change of
form, and two low alliances. bench/bench_flags.py prints the share of this caseload
that carries a flag (at most a quarter).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from django.utils import timezone

from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.submissions import response_submit, staff_entry_submit
from assessments.schedules.services import CadenceValues, active_schedule, schedule_set
from assessments.scoring.registry import get_registry
from clinicians.models import CaseAssignment, Clinic, Patient

from ..models import Administration, Channel, OccasionKind, Rater

FORM = "wai-sr-client"
PAIRED_CLIENT_FORM = "wai-s-client"
THERAPIST_FORM = "wai-s-therapist"

# The stories told on purpose, by client code; everyone else is steady or growing.
STORIES = {
    "D-001": "rupture",  # Dr. Rivera: a sharp fall at the latest questionnaire
    "D-002": "repair",  # a fall four questionnaires ago, back within error next time
    "D-006": "ceiling",  # Sam Chen: top scores, then three items a step lower
    "D-004": "views",  # client (WAI-S) and therapist (WAI-S therapist) 30 POMP apart
    "D-005": "switch",  # WAI-SR, then WAI-S: a new baseline, no flag
    "D-012": "low",
    "D-030": "low",
}
SESSIONS = {"rupture": 8, "repair": 9, "ceiling": 7, "views": 6, "switch": 8, "low": 5}


@dataclass(frozen=True)
class Visit:
    form: str
    level: float  # 0-1: where the answers sit on the scale
    top: bool = False  # every answer at the top
    lowered: tuple[int, ...] = ()  # items one step below the top (with top=True)


def _story(kind: str, rng: random.Random, sessions: int) -> list[Visit]:
    base = {"low": 0.38}.get(kind, rng.uniform(0.6, 0.8))
    visits = []
    for n in range(sessions):
        level = base + (0.015 * n if kind == "growing" else 0) + rng.gauss(0, 0.02)
        form = FORM
        if kind == "rupture" and n == sessions - 1:
            level -= 0.35
        if kind == "repair" and n == sessions - 4:
            level -= 0.28
        if kind == "views":
            form = PAIRED_CLIENT_FORM
            level = 0.68 + rng.gauss(0, 0.02)
        if kind == "switch" and n >= sessions // 2:
            form = PAIRED_CLIENT_FORM
        if kind == "ceiling":
            last = n == sessions - 1
            visits.append(Visit(FORM, 1.0, top=True, lowered=(2, 6, 9) if last else ()))
            continue
        visits.append(Visit(form, min(1.0, max(0.0, level))))
    return visits


def _answers(rng: random.Random, visit: Visit) -> dict[int, int]:
    """Answers whose keyed values sit around the visit's level (reverse items turned)."""
    form = get_registry().get(visit.form)
    lo, hi = form.scale.min, form.scale.max
    out = {}
    for item in form.items:
        if visit.top:
            keyed = hi - (1 if item.number in visit.lowered else 0)
        else:
            target = lo + (hi - lo) * visit.level + rng.gauss(0, 0.1 * (hi - lo))
            keyed = max(lo, min(hi, round(target)))
        out[item.number] = lo + hi - keyed if item.reverse else keyed
    return out


def _own_rating(level: float) -> dict[int, int]:
    """The therapist's WAI-S rating at a level (0-1), reverse items turned."""
    form = get_registry().get(THERAPIST_FORM)
    lo, hi = form.scale.min, form.scale.max
    keyed = max(lo, min(hi, round(lo + (hi - lo) * level)))
    return {i.number: lo + hi - keyed if i.reverse else keyed for i in form.items}


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
        kind = STORIES.get(patient.code) or rng.choice(["steady", "steady", "growing"])
        sessions = SESSIONS.get(kind) or rng.randint(0, 10)
        therapist = assignment.therapist
        for n, visit in enumerate(_story(kind, rng, sessions), start=1):
            day = today - timedelta(days=7 * (sessions - n) + 3)
            occasion = Occasion(OccasionKind.SESSION, n, "", day)
            issued = administration_request(
                actor=therapist, patient=patient, form_code=visit.form, occasion=occasion
            )
            response_submit(
                administration_id=issued.administration.pk,
                answers=_answers(rng, visit),
                channel=rng.choice([Channel.LINK, Channel.LINK, Channel.KIOSK]),
            )
            # The therapist rates some sessions too, close to the client's view; in the
            # "views" story every session, and well above it.
            if kind == "views" or rng.random() < 0.3:
                own = 0.95 if kind == "views" else visit.level + rng.uniform(-0.05, 0.05)
                staff_entry_submit(
                    actor=therapist,
                    patient=patient,
                    form_code=THERAPIST_FORM,
                    rater=Rater.THERAPIST,
                    occasion=occasion,
                    answers=_own_rating(own),
                )
            created += 1
        if sessions and rng.random() < 0.25:  # a link sent after the last session
            administration_request(
                actor=therapist,
                patient=patient,
                form_code=FORM if kind != "views" else PAIRED_CLIENT_FORM,
                occasion=Occasion(OccasionKind.SESSION, sessions + 1, "", today),
            )
    return created


def seed_demo_schedules(clinic: Clinic) -> int:
    """A weekly schedule (Mondays, 09:00) for the first four demo clients, so that the
    caseload's "Next due" column and the client page's schedule have something to show."""
    values = CadenceValues(
        form_code=clinic.default_client_form,
        every=1,
        unit="weeks",
        weekday=0,
        local_time=time(9, 0),
        times=None,
    )
    made = 0
    assignments = (
        CaseAssignment.objects.filter(patient__clinic=clinic, ended_at__isnull=True)
        .select_related("patient__clinic", "therapist")
        .order_by("patient__code")[:4]
    )
    for assignment in assignments:
        if active_schedule(assignment.patient) is None:
            schedule_set(
                actor=assignment.therapist,
                patient=assignment.patient,
                values=values,
                starts_on=clinic.today(),
            )
            made += 1
    return made


def on_demo_clinic_seeded(sender: Any, clinic: Clinic, **kwargs: Any) -> None:
    seed_demo_questionnaires(clinic)
    seed_demo_schedules(clinic)
