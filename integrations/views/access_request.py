"""An admin answers a client's access request (GDPR Art. 15): a page, JSON and HTML."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from clinicians import audit
from clinicians.access import admin_required, get_client_for
from clinicians.models import Patient, User
from clinicians.views.common import render_console

from ..access_request import access_request


def _document(request: HttpRequest, pk: int, fmt: str) -> tuple[Patient, dict]:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    # Written first, so the document lists its own making too.
    audit.record(
        action="access_request_downloaded",
        actor=user,
        obj=patient,
        request=request,
        detail={"format": fmt},
    )
    return patient, access_request(patient)


def _attachment(content: str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_name(patient: Patient, ext: str) -> str:
    # Codes are free text; keep the file name to safe characters.
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in patient.code)
    return f"access-request-{safe[:40]}.{ext}"


@require_GET
@admin_required
def access_request_page(request: HttpRequest, pk: int) -> HttpResponse:
    patient, document = _document(request, pk, "page")
    return render_console(
        request,
        "integrations/access_request_page.html",
        {"patient": patient, "doc": document},
        section="clients",
    )


@require_GET
@admin_required
def access_request_json(request: HttpRequest, pk: int) -> HttpResponse:
    patient, document = _document(request, pk, "json")
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _attachment(body, "application/json; charset=utf-8", _file_name(patient, "json"))


@require_GET
@admin_required
def access_request_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The readable page as one self-contained file, to hand to the client."""
    patient, document = _document(request, pk, "html")
    body = render_to_string(
        "integrations/access_request_file.html", {"doc": document}, request=request
    )
    return _attachment(body, "text/html; charset=utf-8", _file_name(patient, "html"))
