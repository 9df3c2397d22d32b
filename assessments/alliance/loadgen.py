"""Realistic clinics in bulk: therapists, clients, and questionnaire histories.

Used by `manage.py seed_load` (benchmarks, demos at scale) and by tests that need a
big caseload. Rows are written with bulk_create and scored with the vectorised path, so
150,000 questionnaires take about a minute rather than hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from assessments.alliance.summaries import refresh_alliance
from assessments.scoring.frame import score_frame
from assessments.scoring.registry import get_registry
from clinicians.models import CaseAssignment, Clinic, Patient, Role, User

from ..models import (
    Administration,
    AdministrationStatus,
    Answer,
    Channel,
    OccasionKind,
    Rater,
    Response,
)

FORM = "wai-sr-client"
BATCH = 5000


@dataclass(frozen=True)
class LoadResult:
    therapists: int
    clients: int
    questionnaires: int


def _answers(rng: np.random.Generator, levels: np.ndarray, lo: int, hi: int, items: int):
    """Answers around each questionnaire's level (0-1), with per-item noise; many
    clients answer at the top of the scale, as real WAI data do."""
    noise = rng.normal(0, 0.12, size=(len(levels), items))
    raw = lo + (hi - lo) * np.clip(levels[:, None] + noise, 0, 1)
    return np.rint(raw).astype(np.int16)


def _levels(rng: np.random.Generator, clients: int, per_client: int) -> np.ndarray:
    base = np.clip(rng.normal(0.72, 0.15, size=(clients, 1)), 0.2, 1.0)
    drift = rng.normal(0.004, 0.006, size=(clients, 1)) * np.arange(per_client)[None, :]
    wobble = rng.normal(0, 0.05, size=(clients, per_client))
    levels = base + drift + wobble
    # About one client in eight has a rupture somewhere after the third session.
    ruptured = rng.random(clients) < 0.125
    where = rng.integers(3, max(per_client, 4), size=clients)
    for c in np.nonzero(ruptured)[0]:
        if where[c] < per_client:
            levels[c, where[c]] -= 0.3
    return np.clip(levels, 0, 1)


def make_load(
    *,
    clinic: Clinic,
    therapists: int,
    clients: int,
    questionnaires: int,
    seed: int = 1,
    prefix: str = "L",
) -> LoadResult:
    """Add `therapists` therapists, `clients` clients spread over them, and
    `questionnaires` completed WAI-SR questionnaires per client, a week apart."""
    rng = np.random.default_rng(seed)
    form = get_registry().get(FORM)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        staff = User.objects.bulk_create(
            User(
                email=f"therapist-{prefix.lower()}{i:04d}@{clinic.slug}.load.alliance.test",
                display_name=f"Therapist {prefix}{i:04d}",
                clinic=clinic,
                role=Role.THERAPIST,
                password="!",  # noqa: S106 - unusable: load accounts never sign in
            )
            for i in range(therapists)
        )
        patients = Patient.objects.bulk_create(
            (
                Patient(
                    clinic=clinic,
                    code=f"{prefix}-{i:06d}",
                    activated_on=today - timedelta(days=7 * questionnaires + 7),
                )
                for i in range(clients)
            ),
            batch_size=BATCH,
        )
        CaseAssignment.objects.bulk_create(
            (
                CaseAssignment(
                    patient=p,
                    therapist=staff[i % therapists],
                    started_at=now - timedelta(days=7 * questionnaires + 7),
                )
                for i, p in enumerate(patients)
            ),
            batch_size=BATCH,
        )
        levels = _levels(rng, clients, questionnaires).reshape(-1)
        answers = _answers(rng, levels, form.scale.min, form.scale.max, form.item_count)
        scores = score_frame(
            form, pd.DataFrame(answers, columns=[f"item_{i + 1}" for i in range(form.item_count)])
        )
        figures = {
            col: scores[col].to_numpy(dtype=float)
            for col in scores.columns
            if col.endswith(("_sum", "_mean", "_pomp"))
        }
        total = clients * questionnaires
        for start in range(0, total, BATCH):
            stop = min(total, start + BATCH)
            admins = []
            for k in range(start, stop):
                c, q = divmod(k, questionnaires)
                day = today - timedelta(days=7 * (questionnaires - q))
                when = timezone.make_aware(
                    timezone.datetime.combine(day, timezone.datetime.min.time())
                ) + timedelta(hours=18)
                admins.append(
                    Administration(
                        clinic=clinic,
                        patient=patients[c],
                        therapist=staff[c % therapists],
                        form_code=FORM,
                        rater=Rater.CLIENT,
                        occasion=OccasionKind.SESSION,
                        session_number=q + 1,
                        session_date=day,
                        status=AdministrationStatus.COMPLETED,
                        created_at=when,
                        created_by=staff[c % therapists],
                        expires_at=when + timedelta(days=7),
                        completed_at=when + timedelta(hours=2),
                    )
                )
            Administration.objects.bulk_create(admins)
            responses = []
            for k, administration in zip(range(start, stop), admins, strict=True):
                responses.append(
                    Response(
                        administration=administration,
                        channel=Channel.LINK,
                        submitted_at=administration.completed_at,
                        answered=form.item_count,
                        items=form.item_count,
                        complete=True,
                        prorated=False,
                        **{col: float(values[k]) for col, values in figures.items()},
                    )
                )
            Response.objects.bulk_create(responses)
            Answer.objects.bulk_create(
                (
                    Answer(response=r, item=i + 1, value=int(answers[k, i]))
                    for k, r in zip(range(start, stop), responses, strict=True)
                    for i in range(form.item_count)
                ),
                batch_size=BATCH * 2,
            )
    for start in range(0, clients, BATCH):
        refresh_alliance(patient_ids=[p.pk for p in patients[start : start + BATCH]])
    return LoadResult(therapists, clients, clients * questionnaires)


__all__ = ["LoadResult", "make_load"]
