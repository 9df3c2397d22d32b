"""Completed questionnaires across the cast, for the export, FHIR and API tests.

Clinic A: Tess's client A-001 has two client questionnaires (one corrected, so it has
a second version) and Tess's own rating; Theo's client A-002 has one. Clinic B's B-001
has one. Tess's client also has an open questionnaire, which no export may show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from assessments.models import Administration, OccasionKind, Rater, Response
from assessments.questionnaires.links import IssuedLink, Occasion
from assessments.questionnaires.submissions import (
    response_correct,
    response_submit,
    staff_entry_submit,
)
from clinicians.models import CaseAssignment, Patient, Role, User
from tests.conftest import make_staff


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _exports_folder(settings: Any, tmp_path: Any) -> None:
    # Each test's export files in a folder of its own. Background exports run when a
    # test says so (run_exports): the task is queued on commit, which tests never reach.
    settings.ALLIANCE_EXPORTS_DIR = str(tmp_path / "exports")
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "integrations.storage.PrivateFolderStorage",
            "OPTIONS": {"location": settings.ALLIANCE_EXPORTS_DIR},
        },
    }


def session(n: int, day: date | None = None) -> Occasion:
    return Occasion(OccasionKind.SESSION, n, "", day or date(2026, 3, n))


def paper(
    actor: User,
    patient: Patient,
    answers: dict[int, int | None],
    occasion: Occasion,
    form_code: str = "wai-sr-client",
    rater: str = Rater.CLIENT,
) -> Response:
    return staff_entry_submit(
        actor=actor,
        patient=patient,
        form_code=form_code,
        rater=rater,
        occasion=occasion,
        answers=answers,
    )


def sr(*values: int | None) -> dict[int, int | None]:
    return dict(enumerate(values, start=1))


@dataclass
class Filled:
    own: list[Administration]  # therapist_a1's client
    colleagues: list[Administration]  # therapist_a2's client
    other_clinic: list[Administration]
    open: Administration
    therapist_b: User


@pytest.fixture
def filled(
    admin_a: User,
    therapist_a1: User,
    therapist_a2: User,
    admin_b: User,
    client_a1: Patient,
    client_a2: Patient,
    client_b1: Patient,
    issued: IssuedLink,
) -> Filled:
    therapist_b = make_staff(client_b1.clinic, "tara@southside.test", Role.THERAPIST, "Tara B")
    CaseAssignment.objects.create(patient=client_b1, therapist=therapist_b)

    first = paper(therapist_a1, client_a1, sr(5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2), session(1))
    response_correct(
        actor=therapist_a1,
        response=first,
        answers=sr(5, 5, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2),
        reason="typo on paper",
    )
    # One missing answer: prorated scores.
    second = paper(therapist_a1, client_a1, sr(4, 4, 4, None, 4, 4, 4, 4, 4, 4, 4, 4), session(2))
    own_rating = paper(
        therapist_a1, client_a1, sr(*[6] * 12), session(2), "wai-s-therapist", Rater.THERAPIST
    )
    colleague = paper(therapist_a2, client_a2, sr(*[3] * 12), session(1))
    other = paper(therapist_b, client_b1, sr(*[5] * 12), session(1))
    via_link = issued.administration
    return Filled(
        own=[first.administration, second.administration, own_rating.administration],
        colleagues=[colleague.administration],
        other_clinic=[other.administration],
        open=via_link,
        therapist_b=therapist_b,
    )


def submit_link(administration: Administration, value: int = 4) -> Response:
    return response_submit(
        administration_id=administration.pk, answers=sr(*[value] * 12), channel="link"
    ).response
