"""Reads that feed the questionnaire pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import FilteredRelation, Q, QuerySet
from django.http import Http404

from assessments.scoring.definitions import Form, render_item_text
from clinicians.access import parse_id, patients_visible_to
from clinicians.models import Patient, User

from ..models import Administration, AdministrationStatus, KioskDevice, Response, occasion_label


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


@dataclass(frozen=True)
class QuestionnaireRow:
    """One questionnaire of a client's list, with its current response's totals."""

    pk: int
    session_date: date
    occasion: str
    session_number: int | None
    occasion_note: str
    form_code: str
    rater: str
    status: str
    expires_at: datetime
    answered: bool  # has a current response (its totals may still be None)
    total_pomp: float | None
    total_mean: float | None

    @property
    def occasion_label(self) -> str:
        return occasion_label(self.occasion, self.session_number, self.occasion_note)

    def state_at(self, now: datetime) -> str:
        """open / completed / revoked / expired, as Administration.state says it."""
        if self.status == AdministrationStatus.OPEN and self.expires_at <= now:
            return "expired"
        return self.status


def client_questionnaires(patient: Patient) -> list[QuestionnaireRow]:
    """Every questionnaire of one client, newest first, with its current response's
    totals: one query and no model objects, whatever their count (answers are read per
    questionnaire on its own page)."""
    current = FilteredRelation("responses", condition=Q(responses__is_current=True))
    rows = (
        Administration.objects.filter(patient=patient)
        .annotate(current=current)
        .order_by("-session_date", "-created_at")
        .values_list(
            "pk",
            "session_date",
            "occasion",
            "session_number",
            "occasion_note",
            "form_code",
            "rater",
            "status",
            "expires_at",
            "current__id",
            "current__total_pomp",
            "current__total_mean",
        )
    )
    return [QuestionnaireRow(*row[:9], row[9] is not None, *row[10:]) for row in rows]


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
