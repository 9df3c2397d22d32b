"""The OpenAPI 3.0 description of the API, served at /api/v1/openapi.json.

Written by hand next to the views; tests/integrations/test_api_schema.py sends
generated requests (schemathesis) and checks every answer against this document.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..models import Scope

JSON = "application/json"
FHIR_JSON = "application/fhir+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _page(item: str) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "next_cursor": _nullable(
                {"type": "string", "description": "Pass as `cursor` for the next page."}
            ),
            "next": _nullable({"type": "string", "description": "The next page's URL."}),
        }
    )


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


ERRORS = {
    "401": _error("No API key, or a key that is not valid or revoked."),
    "403": _error("The key lacks the scope this call needs."),
    "405": _error("Any method other than GET."),
    "429": _error("Too many requests; see the Retry-After header."),
}
LIST_PARAMETERS = [
    {
        "name": "changed_since",
        "in": "query",
        "description": "Only records changed at or after this moment (ISO 8601; a date "
        "means its midnight UTC; without a zone, UTC).",
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "page_size",
        "in": "query",
        "description": "Records per page (default 100).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 500},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "`next_cursor` of the previous page, unchanged.",
        "schema": {"type": "string"},
    },
]
QUESTIONNAIRE_FILTERS = [
    {
        "name": "client",
        "in": "query",
        "description": "Only this client's questionnaires (client code).",
        "schema": {"type": "string"},
    },
    {
        "name": "form",
        "in": "query",
        "description": "Only this form, e.g. wai-sr-client.",
        "schema": {"type": "string"},
    },
]
ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**53},
}


def _operation(
    summary: str,
    scope: str | None,
    schema: dict[str, Any],
    *,
    media: str = JSON,
    parameters: list[dict[str, Any]] | None = None,
    not_found: bool = False,
    bad_request: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {media: {"schema": schema}}}
    }
    if bad_request:
        responses["400"] = _error("A parameter is not valid; the message says which.")
    responses.update(ERRORS)
    if not_found:
        responses["404"] = _error("No such record in this key's clinic.")
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{"apiKey": []}],
        "responses": responses,
    }
    if scope:
        operation["description"] = f"Needs the scope `{scope}`."
    if parameters:
        operation["parameters"] = parameters
    return operation


def _schemas() -> dict[str, Any]:
    figure = _nullable({"type": "number"})
    scores = {
        f"{part}_{kind}": figure
        for part in ("goal", "task", "bond", "total")
        for kind in ("sum", "mean", "pomp")
    }
    scores.update(
        {
            "answered": {"type": "integer"},
            "complete": {"type": "boolean"},
            "prorated": {"type": "boolean"},
        }
    )
    therapist = _object({"id": {"type": "integer"}, "name": {"type": "string"}})
    return {
        "Error": {**_object({"error": {"type": "string"}}), "additionalProperties": False},
        "Therapist": therapist,
        "Client": _object(
            {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "status": {"type": "string", "enum": ["active", "discharged"]},
                "preferred_language": {"type": "string"},
                "active_since": {"type": "string", "format": "date"},
                "discharged_on": _nullable({"type": "string", "format": "date"}),
                "therapist": _nullable(_ref("Therapist")),
                "changed_at": {"type": "string", "format": "date-time"},
            }
        ),
        "Questionnaire": _object(
            {
                "id": {"type": "integer"},
                "client": _object({"id": {"type": "integer"}, "code": {"type": "string"}}),
                "therapist": _ref("Therapist"),
                "form": {"type": "string"},
                "rater": {"type": "string", "enum": ["client", "therapist"]},
                "occasion": {
                    "type": "string",
                    "enum": ["intake", "session", "discharge", "other"],
                },
                "session_number": _nullable({"type": "integer"}),
                "session_date": {"type": "string", "format": "date"},
                "submitted_at": {"type": "string", "format": "date-time"},
                "version": {"type": "integer"},
                "channel": {"type": "string"},
                "answers": {
                    "type": "object",
                    "description": "Raw answers by item number; null when not answered.",
                    "additionalProperties": _nullable({"type": "integer"}),
                },
                "scores": _object(scores),
                "flags": {
                    "type": "array",
                    "description": (
                        "Alliance flags raised at this questionnaire (client ratings only), "
                        "from the same analysis as the caseload and the chart; see "
                        "docs/alliance-rules.md. Empty when none."
                    ),
                    "items": _ref("Flag"),
                },
            }
        ),
        "Flag": _object(
            {
                "code": {"type": "string", "enum": ["rupture", "dropping", "first_dip"]},
                "details": {
                    "type": "object",
                    "description": (
                        "The numbers behind the flag: drop (POMP), rci, threshold, "
                        "reliable_threshold, variation, compared_with (scores averaged), "
                        "norms_source and norms_clients; marked and repaired for a "
                        "rupture; dip, step and dropped_items for a first dip."
                    ),
                    "additionalProperties": True,
                },
            }
        ),
        "ClientPage": _page("Client"),
        "QuestionnairePage": _page("Questionnaire"),
        "FhirResource": {
            "type": "object",
            "required": ["resourceType"],
            "properties": {"resourceType": {"type": "string"}},
            "description": "A FHIR R4 resource; see docs/fhir.md.",
        },
    }


def openapi_document(request: HttpRequest | None = None) -> dict[str, Any]:
    server = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
    scopes = ", ".join(f"`{s.value}` ({s.label})" for s in Scope)
    paths = {
        "/api/v1/clients": {
            "get": _operation(
                "Clients of the key's clinic, by when they last changed",
                Scope.CLIENTS_READ,
                _ref("ClientPage"),
                parameters=LIST_PARAMETERS,
                bad_request=True,
            )
        },
        "/api/v1/questionnaires": {
            "get": _operation(
                "Completed questionnaires with answers and scores, by submission time",
                Scope.SCORES_READ,
                _ref("QuestionnairePage"),
                parameters=[*LIST_PARAMETERS, *QUESTIONNAIRE_FILTERS],
                bad_request=True,
            )
        },
        "/api/v1/questionnaires/{id}": {
            "get": _operation(
                "One completed questionnaire",
                Scope.SCORES_READ,
                _ref("Questionnaire"),
                parameters=[ID_PARAMETER],
                not_found=True,
            )
        },
        "/api/v1/fhir/QuestionnaireResponse": {
            "get": _operation(
                "Completed questionnaires as a FHIR R4 searchset Bundle",
                Scope.SCORES_READ,
                _ref("FhirResource"),
                media=FHIR_JSON,
                parameters=[*LIST_PARAMETERS, *QUESTIONNAIRE_FILTERS],
                bad_request=True,
            )
        },
        "/api/v1/fhir/QuestionnaireResponse/{id}": {
            "get": _operation(
                "One completed questionnaire as a FHIR R4 QuestionnaireResponse",
                Scope.SCORES_READ,
                _ref("FhirResource"),
                media=FHIR_JSON,
                parameters=[ID_PARAMETER],
                not_found=True,
            )
        },
        "/api/v1/fhir/Questionnaire/{code}": {
            "get": _operation(
                "A form as a FHIR R4 Questionnaire (any valid key)",
                None,
                _ref("FhirResource"),
                media=FHIR_JSON,
                parameters=[
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                not_found=True,
            )
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Alliance API",
            "version": "1",
            "description": "Read-only access to one clinic's clients, completed Working "
            "Alliance Inventory questionnaires and their scores, as JSON or FHIR R4. Send "
            "`Authorization: Bearer <key>`; a clinic admin makes keys in the console. "
            f"Scopes: {scopes}. Every call is written to the clinic's audit log. Errors "
            'are JSON: {"error": "..."}.',
        },
        "servers": [{"url": server or "/"}],
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": paths,
    }
