"""FHIR R4 resources: a Questionnaire per form, a QuestionnaireResponse per questionnaire.

Plain dicts, serialised with `json`: the app needs no FHIR library at run time. The
tests validate every shape built here with `fhir.resources.R4B` (R4B is the R4-
compatible module; the package's default is R5). How scores are carried is documented
in docs/fhir.md: a read-only group item "scores" with one decimal item per figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from assessments.scoring.definitions import Form, render_item_text
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import FIGURE_COLUMNS

from .conf import base_url
from .exports.rows import ExportData, ExportRow

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
FHIR_JSON = "application/fhir+json"


def _url(path: str) -> str:
    return f"{base_url()}/fhir/{path}"


def questionnaire_url(code: str) -> str:
    return _url(f"Questionnaire/{code}")


def answer_system(form: Form) -> str:
    """The code system of a form's answer scale (the codes are the answer values)."""
    return _url(f"CodeSystem/wai-scale-{form.scale.name or form.code}")


SUBSCALE_SYSTEM = "CodeSystem/wai-subscale"
CLIENT_CODE_SYSTEM = "sid/client-code"
PSEUDONYM_SYSTEM = "sid/pseudonym"
QUESTIONNAIRE_ID_SYSTEM = "sid/questionnaire"
EXTENSION = "StructureDefinition"

FIGURE_TEXT = {
    "sum": "sum (prorated when answers are missing)",
    "mean": "mean of the keyed answers",
    "pomp": "percent of maximum possible (0-100)",
}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _computable_name(code: str) -> str:
    # FHIR names start with a capital letter and hold letters, digits and underscores.
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", code) if part)


def _score_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for column in FIGURE_COLUMNS:
        part, figure = column.split("_")
        items.append(
            {
                "linkId": column,
                "text": f"{part.capitalize()} {FIGURE_TEXT[figure]}",
                "type": "decimal",
                "readOnly": True,
            }
        )
    items.append(
        {"linkId": "answered", "text": "Items answered", "type": "integer", "readOnly": True}
    )
    items.append(
        {"linkId": "complete", "text": "Every item answered", "type": "boolean", "readOnly": True}
    )
    return items


def questionnaire(form: Form) -> dict[str, Any]:
    """The Questionnaire resource for one loaded form."""
    system = answer_system(form)
    options = [
        {
            "valueCoding": {"system": system, "code": str(value), "display": label},
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": value}],
        }
        for value, label in zip(form.scale.points, form.scale.labels, strict=True)
    ]
    items: list[dict[str, Any]] = []
    for item in form.items:
        entry: dict[str, Any] = {
            "linkId": str(item.number),
            "prefix": str(item.number),
            "text": render_item_text(item.text, None),
            "type": "choice",
            "code": [{"system": _url(SUBSCALE_SYSTEM), "code": item.subscale}],
            "answerOption": options,
        }
        if item.reverse:
            entry["extension"] = [{"url": _url(f"{EXTENSION}/reverse-keyed"), "valueBoolean": True}]
        items.append(entry)
    items.append(
        {
            "linkId": "scores",
            "text": "Scores computed by Alliance (goal, task, bond, total)",
            "type": "group",
            "readOnly": True,
            "item": _score_items(),
        }
    )
    return {
        "resourceType": "Questionnaire",
        "id": form.code,
        "url": questionnaire_url(form.code),
        "name": _computable_name(form.code),
        "title": form.title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Alliance",
        "description": f"{form.title}. {form.citation} Provenance: {form.provenance}.",
        "copyright": form.copyright,
        "item": items,
    }


def all_questionnaires() -> list[dict[str, Any]]:
    return [questionnaire(form) for form in get_registry().forms()]


def _reference(kind: str, system: str, value: str) -> dict[str, Any]:
    return {"type": kind, "identifier": {"system": _url(system), "value": value}}


@lru_cache(maxsize=64)
def _answer_codings(code: str, base: str) -> dict[int, dict[str, str]]:
    """The coding of each answer value of a form, built once per form (and base URL).

    Shared between resources: they are serialised at once and never changed.
    """
    form = get_registry().get(code)
    system = answer_system(form)
    return {
        value: {"system": system, "code": str(value), "display": label}
        for value, label in zip(form.scale.points, form.scale.labels, strict=True)
    }


def questionnaire_response(row: ExportRow, data: ExportData | None = None) -> dict[str, Any]:
    """The QuestionnaireResponse of one completed questionnaire (its current version).

    With a pseudonymised `data`, the subject is the export's pseudonym, the therapist
    appears as theirs, and the resource carries no id or identifier of ours.
    """
    base = base_url()
    fhir_base = f"{base}/fhir"
    registry = get_registry()
    known = row.form_code in registry
    codings = _answer_codings(row.form_code, base) if known else {}
    item_count = registry.get(row.form_code).item_count if known else len(row.answers)
    pseudonymised = data is not None and data.filters.pseudonymised
    if pseudonymised and data is not None:
        identifier = {"system": f"{fhir_base}/{PSEUDONYM_SYSTEM}", "value": data.client_label(row)}
        therapist: dict[str, Any] = {"type": "Practitioner", "display": data.therapist_label(row)}
    else:
        identifier = {
            "system": f"{fhir_base}/{CLIENT_CODE_SYSTEM}/{row.clinic_slug}",
            "value": row.client_code,
        }
        therapist = {"type": "Practitioner", "display": row.therapist}
    subject = {"type": "Patient", "identifier": identifier}

    answers: list[dict[str, Any]] = [
        {
            "linkId": str(number),
            "answer": [{"valueCoding": codings.get(value) or {"code": str(value)}}],
        }
        for number, value in enumerate(row.answers[:item_count], start=1)
        if value is not None
    ]
    scores: list[dict[str, Any]] = [
        {"linkId": name, "answer": [{"valueDecimal": value}]}
        for name, value in zip(FIGURE_COLUMNS, row.figures, strict=True)
        if value is not None
    ]
    scores.append({"linkId": "answered", "answer": [{"valueInteger": row.answered}]})
    scores.append({"linkId": "complete", "answer": [{"valueBoolean": bool(row.complete)}]})

    extension = f"{fhir_base}/{EXTENSION}"
    extensions: list[dict[str, Any]] = [{"url": f"{extension}/occasion", "valueCode": row.occasion}]
    if row.session_number is not None:
        extensions.append(
            {"url": f"{extension}/session-number", "valueInteger": row.session_number}
        )
    extensions.append(
        {"url": f"{extension}/session-date", "valueDate": row.session_date.isoformat()}
    )
    extensions.append({"url": f"{extension}/rated-therapist", "valueReference": therapist})

    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if not pseudonymised:
        resource["id"] = str(row.administration_id)
        resource["identifier"] = {
            "system": f"{fhir_base}/{QUESTIONNAIRE_ID_SYSTEM}",
            "value": str(row.administration_id),
        }
    authored = _instant(row.submitted_at)
    by = subject if row.rater == "client" else therapist
    resource.update(
        {
            "meta": {"versionId": str(row.version), "lastUpdated": authored},
            "extension": extensions,
            "questionnaire": f"{fhir_base}/Questionnaire/{row.form_code}",
            # A staff correction makes a new version: FHIR calls that "amended".
            "status": "completed" if row.version == 1 else "amended",
            "subject": subject,
            "authored": authored,
            "author": by,
            "source": by,
            "item": [
                *answers,
                {"linkId": "scores", "text": "Scores computed by Alliance", "item": scores},
            ],
        }
    )
    return resource


def searchset(
    resources: Iterable[dict[str, Any]], *, self_url: str, next_url: str | None
) -> dict[str, Any]:
    """A Bundle of QuestionnaireResponses for one page of the API."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base_url()}/api/v1/fhir/QuestionnaireResponse/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
