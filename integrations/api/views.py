"""The read-only JSON API (v1): clients, questionnaires with scores, FHIR, OpenAPI.

A key sees its own clinic, all of it: integrations such as a health record serve the
whole clinic. Lists are ordered by when a record last changed and paginated with an
opaque cursor, so a caller that keeps `changed_since` and follows `next_cursor` never
misses or repeats a record while others are being added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest, HttpResponse, JsonResponse

from assessments.alliance.analysis import flag_details, flags_for_responses
from assessments.alliance.rules import PointFlags
from assessments.models import AdministrationStatus, Response
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import FIGURE_COLUMNS
from clinicians.models import AuditEvent, CaseAssignment, Patient

from .. import fhir
from ..exports.rows import FIELDS, ExportRow, attach_answers
from ..models import ApiKey, Scope
from . import base
from .base import ApiError, api_view, json_response
from .openapi import openapi_document

# Audit actions that change a client's record (see clinicians.audit.ACTION_LABELS).
CLIENT_CHANGES = (
    "client_created",
    "client_updated",
    "client_discharged",
    "client_reactivated",
    "client_assigned",
    "client_reassigned",
    "client_transferred",
    "client_imported",
)


def _keyset(qs: QuerySet[Any], field: str, request: HttpRequest) -> tuple[QuerySet[Any], int]:
    since = base.changed_since(request)
    size = base.page_size(request)
    cursor = base.decode_cursor(request)
    if since is not None:
        qs = qs.filter(**{f"{field}__gte": since})
    if cursor is not None:
        moment, pk = cursor
        qs = qs.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
    return qs.order_by(field, "pk"), size


def _page(
    request: HttpRequest, items: list[dict[str, Any]], last: tuple[datetime, int] | None
) -> dict[str, Any]:
    cursor = base.encode_cursor(*last) if last else None
    return {"items": items, "next_cursor": cursor, "next": base.page_links(request, cursor)}


# --- clients -------------------------------------------------------------------------
def _clients(key: ApiKey) -> QuerySet[Patient]:
    last_change = (
        AuditEvent.objects.filter(patient=OuterRef("pk"), action__in=CLIENT_CHANGES)
        .order_by("-at")
        .values("at")[:1]
    )
    return Patient.objects.filter(clinic_id=key.clinic_id).annotate(
        changed_at=Greatest(
            "created_at",
            Coalesce(Subquery(last_change, output_field=DateTimeField()), "created_at"),
        )
    )


@api_view(Scope.CLIENTS_READ)
def clients(request: HttpRequest, key: ApiKey) -> HttpResponse:
    qs, size = _keyset(_clients(key), "changed_at", request)
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    current = {
        patient_id: (therapist_id, name or email)
        for patient_id, therapist_id, name, email in CaseAssignment.objects.filter(
            patient_id__in=[p.pk for p in page], ended_at__isnull=True
        ).values_list("patient_id", "therapist_id", "therapist__display_name", "therapist__email")
    }
    items = []
    for p in page:
        therapist = current.get(p.pk)
        items.append(
            {
                "id": p.pk,
                "code": p.code,
                "status": p.status,
                "preferred_language": p.preferred_language,
                "active_since": p.activated_on.isoformat(),
                "discharged_on": p.discharged_on.isoformat() if p.discharged_on else None,
                "therapist": {"id": therapist[0], "name": therapist[1]} if therapist else None,
                "changed_at": base.iso(p.changed_at),
            }
        )
    last = (page[-1].changed_at, page[-1].pk) if more else None
    return json_response(_page(request, items, last), items=len(items))


# --- questionnaires ------------------------------------------------------------------
def _responses(key: ApiKey) -> QuerySet[Response]:
    return Response.objects.filter(
        is_current=True,
        administration__status=AdministrationStatus.COMPLETED,
        administration__patient__clinic_id=key.clinic_id,
    )


def _max_items() -> int:
    return max((f.item_count for f in get_registry().forms()), default=1)


def _rows(qs: QuerySet[Response]) -> list[ExportRow]:
    return attach_answers(list(qs.values_list(*FIELDS)), _max_items())


def _flags(rows: list[ExportRow]) -> dict[int, PointFlags]:
    """The flags of these rows' questionnaires: the whole history of their clients is
    analysed (as on the pages), a fixed number of queries per page."""
    return flags_for_responses({row.patient_id for row in rows})


def flags_json(flags: PointFlags | None) -> list[dict[str, Any]]:
    if flags is None:
        return []
    numbers = flag_details(flags)
    return [{"code": code, "details": numbers} for code in flags.kinds()]


def questionnaire_json(row: ExportRow, flags: PointFlags | None = None) -> dict[str, Any]:
    registry = get_registry()
    n = registry.get(row.form_code).item_count if row.form_code in registry else 0
    scores: dict[str, Any] = {name: row.figure(name) for name in FIGURE_COLUMNS}
    scores.update({"answered": row.answered, "complete": row.complete, "prorated": row.prorated})
    return {
        "id": row.administration_id,
        "client": {"id": row.patient_id, "code": row.client_code},
        "therapist": {"id": row.therapist_id, "name": row.therapist},
        "form": row.form_code,
        "rater": row.rater,
        "occasion": row.occasion,
        "session_number": row.session_number,
        "session_date": row.session_date.isoformat(),
        "submitted_at": base.iso(row.submitted_at),
        "version": row.version,
        "channel": row.channel,
        "answers": {str(i): row.answers[i - 1] for i in range(1, n + 1)},
        "scores": scores,
        "flags": flags_json(flags),
    }


def _questionnaire_page(request: HttpRequest, key: ApiKey) -> tuple[list[ExportRow], Any]:
    qs = _responses(key)
    client = request.GET.get("client")
    if client:
        qs = qs.filter(administration__patient__code__iexact=client)
    form = request.GET.get("form")
    if form:
        qs = qs.filter(administration__form_code=form)
    qs, size = _keyset(qs, "submitted_at", request)
    rows = _rows(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = (rows[-1].submitted_at, rows[-1].response_id) if more else None
    return rows, last


@api_view(Scope.SCORES_READ)
def questionnaires(request: HttpRequest, key: ApiKey) -> HttpResponse:
    rows, last = _questionnaire_page(request, key)
    flags = _flags(rows)
    items = [questionnaire_json(row, flags.get(row.response_id)) for row in rows]
    return json_response(_page(request, items, last), items=len(items))


def _one(key: ApiKey, pk: str) -> ExportRow:
    rows = _rows(_responses(key).filter(administration_id=base.object_id(pk)))
    if not rows:
        raise ApiError(404, "No such questionnaire, or it is not completed.")
    return rows[0]


@api_view(Scope.SCORES_READ)
def questionnaire(request: HttpRequest, key: ApiKey, pk: str) -> HttpResponse:
    row = _one(key, pk)
    flags = _flags([row])
    return json_response(questionnaire_json(row, flags.get(row.response_id)), items=1)


# --- FHIR ----------------------------------------------------------------------------
@api_view(Scope.SCORES_READ)
def fhir_responses(request: HttpRequest, key: ApiKey) -> HttpResponse:
    rows, last = _questionnaire_page(request, key)
    cursor = base.encode_cursor(*last) if last else None
    bundle = fhir.searchset(
        [fhir.questionnaire_response(row) for row in rows],
        self_url=request.build_absolute_uri(),
        next_url=base.page_links(request, cursor),
    )
    return json_response(bundle, items=len(rows), content_type=fhir.FHIR_JSON)


@api_view(Scope.SCORES_READ)
def fhir_response(request: HttpRequest, key: ApiKey, pk: str) -> HttpResponse:
    resource = fhir.questionnaire_response(_one(key, pk))
    return json_response(resource, items=1, content_type=fhir.FHIR_JSON)


@api_view(None)
def fhir_questionnaire(request: HttpRequest, key: ApiKey, code: str) -> HttpResponse:
    registry = get_registry()
    if code not in registry:
        raise ApiError(404, "No such form.")
    return json_response(fhir.questionnaire(registry.get(code)), content_type=fhir.FHIR_JSON)


# --- the description and the rest ---------------------------------------------------------
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI description is public: it holds no data, and callers need it first."""
    if request.method not in ("GET", "HEAD"):
        return base.error_response(405, "This API is read-only: use GET.", {"Allow": "GET"})
    return JsonResponse(openapi_document(request))


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return base.error_response(404, "There is no such API address. See /api/v1/openapi.json.")
