"""The client report: a printable page and the same template as a PDF download."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from assessments.alliance.pdf import html_to_pdf
from assessments.alliance.report import client_report, report_filename
from assessments.scoring.registry import get_registry
from clinicians import audit
from clinicians.access import get_client_for, staff_required
from clinicians.models import Role, User

TEMPLATE = "assessments/staff/report.html"


def _context(request: HttpRequest, pk: str, *, page: str) -> dict[str, object]:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    audit.record_view(request, page=page, patient=patient)
    return {
        "report": client_report(patient, user),
        "patient": patient,
        "nav": "caseload" if user.role == Role.THERAPIST else "console",
        "registry": get_registry(),
    }


@require_GET
@staff_required
def client_report_page(request: HttpRequest, pk: str) -> HttpResponse:
    """The report in the browser; its print stylesheet makes the paper copy."""
    return render(request, TEMPLATE, _context(request, pk, page="report"))


@require_GET
@staff_required
def client_report_pdf(request: HttpRequest, pk: str) -> HttpResponse:
    """The same template as a PDF file (WeasyPrint, in this request: no browser)."""
    context = _context(request, pk, page="report_pdf")
    html = render_to_string(TEMPLATE, {**context, "as_pdf": True}, request=request)
    report = context["report"]
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    name = report_filename(report.patient, report.produced_at.date())  # type: ignore[attr-defined]
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
