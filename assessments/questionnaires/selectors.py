"""Reads that feed the questionnaire pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from assessments.scoring.definitions import Form, render_item_text
from clinicians.access import parse_id, patients_visible_to
from clinicians.models import Patient, User

from ..models import Administration, KioskDevice, Response


def administrations_visible_to(user: User) -> QuerySet[Administration]:
    return Administration.objects.filter(patient__in=patients_visible_to(user))


def get_administration_for(user: User, pk: int | str) -> Administration:
    """An administration of a client `user` may see; 404 for anything else."""
    try:
        return (
            administrations_visible_to(user)
            .select_related("patient__clinic", "therapist", "created_by")
            .get(pk=parse_id(pk))
        )
    except (Administration.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such questionnaire.") from exc


def get_response_for(user: User, pk: int | str) -> Response:
    try:
        return (
            Response.objects.filter(administration__in=administrations_visible_to(user))
            .select_related("administration__patient__clinic", "administration__therapist")
            .get(pk=parse_id(pk))
        )
    except (Response.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such response.") from exc


def client_questionnaires(patient: Patient) -> list[Administration]:
    """Every questionnaire of one client, newest first, each with its current response
    (a fixed number of queries, whatever their count; answers are read per questionnaire
    on its own page)."""
    current = Response.objects.filter(is_current=True).select_related("entered_by")
    return list(
        Administration.objects.filter(patient=patient)
        .select_related("therapist", "created_by")
        .prefetch_related(Prefetch("responses", queryset=current, to_attr="current_responses"))
        .order_by("-session_date", "-created_at")
    )


@dataclass(frozen=True)
class AnswerRow:
    number: int
    text: str
    subscale: str
    reverse: bool
    value: int | None
    label: str


def answer_rows(form: Form, response: Response, therapist_name: str) -> list[AnswerRow]:

    values = {a.item: a.value for a in response.answers.all()}
    rows = []
    for item in form.items:
        value = values.get(item.number)
        rows.append(
            AnswerRow(
                number=item.number,
                text=render_item_text(item.text, therapist_name),
                subscale=item.subscale,
                reverse=item.reverse,
                value=value,
                label=form.scale.label(value) if value is not None else "",
            )
        )
    return rows


def clinic_kiosks(user: User) -> QuerySet[KioskDevice]:
    return KioskDevice.objects.filter(clinic_id=user.clinic_id).select_related("created_by")


def next_session_number(patient: Patient) -> int:
    """One more than the highest session number asked for so far (1 for a new client),
    so that asking after a session takes two clicks."""
    highest = (
        Administration.objects.filter(patient=patient, session_number__isnull=False)
        .order_by("-session_number")
        .values_list("session_number", flat=True)
        .first()
    )
    return (highest or 0) + 1
