"""Fixtures of the dashboard tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import AllianceSummary, FlagDiscussion, OccasionKind, Rater
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import CaseAssignment, Patient, User

from .caseloads import NOW


@pytest.fixture
def discussion(therapist_a1: User) -> FlagDiscussion:
    """A real discussion for the generated summaries to point at."""
    patient = Patient.objects.create(clinic=therapist_a1.clinic, code="DISCUSSED")
    assignment = CaseAssignment.objects.create(patient=patient, therapist=therapist_a1)
    staff_entry_submit(
        actor=therapist_a1,
        patient=patient,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
        answers={i: 3 for i in range(1, 13)},
    )
    # Off the caseload again: only its discussion is wanted.
    CaseAssignment.objects.filter(pk=assignment.pk).update(ended_at=timezone.now())
    summary = AllianceSummary.objects.get(patient=patient)
    return FlagDiscussion.objects.create(
        clinic=therapist_a1.clinic,
        patient=patient,
        administration_id=summary.latest.administration_id,
        response=summary.latest,
        discussed_by=therapist_a1,
        discussed_at=NOW - timedelta(days=3),
    )
