"""Export pages: choose, download (streamed), or follow a background job's progress."""

from __future__ import annotations

import json

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alliance_site import freshness
from assessments.models import AdministrationStatus
from assessments.questionnaires.selectors import get_administration_for
from assessments.scoring.registry import get_registry
from clinicians import audit
from clinicians.access import staff_required
from clinicians.models import User

from .. import conf, fhir, services
from ..exports.rows import (
    FIELDS,
    ExportData,
    ExportFilters,
    attach_answers,
    export_responses,
)
from ..exports.writers import CONTENT_TYPES, export_bytes, file_name
from ..exports.xlsx import MAX_ROWS
from ..forms import ExportForm
from ..models import ExportFormat, ExportJob, ExportStatus


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _render(request: HttpRequest, form: ExportForm, status: int = 200) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    jobs = ExportJob.objects.filter(created_by=user).exclude(status=ExportStatus.EXPIRED)[:10]
    form_html = None
    if not form.is_bound:
        # The empty form is the same for everyone of a clinic and role (the therapists
        # to choose from, the forms): rendered once per data version, not per view,
        # which a clinic with 100 therapists notices. No CSRF token inside (the
        # template adds it); a form with errors is rendered as it is.
        form_html = freshness.cached_part(
            "export-form",
            (user.clinic_id, user.role, get_language()),
            lambda: (as_crispy_form(form), None),
            now=timezone.now(),
        )
    return render(
        request,
        "integrations/exports.html",
        {
            "nav": "exports",
            "form": form,
            "form_html": form_html,
            "jobs": jobs,
            "stream_max": conf.export_stream_max_rows(),
            "keep_hours": conf.export_keep_hours(),
        },
        status=status,
    )


@staff_required
def exports(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method != "POST":
        return _render(request, ExportForm(user=user))
    form = ExportForm(request.POST, user=user)
    if not form.is_valid():
        return _render(request, form, status=400)
    fmt = form.cleaned_data["format"]
    filters = form.filters()
    data = ExportData(user=user, filters=filters)
    total = data.count()
    if total == 0:
        messages.info(request, _("No completed questionnaires match these choices."))
        return _render(request, form)
    if fmt == ExportFormat.XLSX and total >= MAX_ROWS:
        form.add_error(
            "format",
            _("A spreadsheet holds at most %(n)s rows; choose CSV or narrow the dates.")
            % {"n": f"{MAX_ROWS - 1:,}"},
        )
        return _render(request, form, status=400)
    if total > conf.export_stream_max_rows():
        job = services.export_job_create(
            actor=user, fmt=fmt, filters=filters, total=total, request=request
        )
        return redirect("integrations:export_job", pk=job.pk)

    data.prepare()
    services.export_audit(actor=user, fmt=fmt, filters=filters, rows=total, request=request)
    response = StreamingHttpResponse(export_bytes(data, fmt), content_type=CONTENT_TYPES[fmt])
    return _attachment(response, file_name(data, fmt))


def _job_for(user: User, pk: int) -> ExportJob:
    """A job is its creator's alone: it was made with their view of the clinic."""
    job = ExportJob.objects.filter(pk=pk, created_by=user).first()
    if job is None:
        raise Http404("No such export.")
    return job


@require_GET
@staff_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request.user, pk)  # type: ignore[arg-type]
    filters = ExportFilters.from_params(job.params)
    return render(
        request,
        "integrations/export_job.html",
        {"nav": "exports", "job": job, "filters": filters, "keep_hours": conf.export_keep_hours()},
    )


@require_GET
@staff_required
def export_job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job_for(request.user, pk)  # type: ignore[arg-type]
    return JsonResponse(
        {
            "status": job.status,
            "done": job.done_rows,
            "total": job.total_rows,
            "percent": job.percent,
        }
    )


@require_GET
@staff_required
def export_job_download(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    job = _job_for(user, pk)
    storage = services.export_storage()
    if job.status != ExportStatus.DONE or not job.file_name or not storage.exists(job.file_name):
        messages.error(request, _("This export is not ready, or it has been deleted."))
        return redirect("integrations:export_job", pk=job.pk)
    services.export_audit(
        actor=user,
        fmt=job.format,
        filters=ExportFilters.from_params(job.params),
        rows=job.done_rows,
        request=request,
        job=job,
    )
    # Streamed from the shared storage (a folder or a bucket), whichever host wrote it.
    return FileResponse(
        storage.open(job.file_name, "rb"),
        as_attachment=True,
        filename=job.download_name or job.file_name,
        content_type=CONTENT_TYPES[job.format],
    )


# --- FHIR downloads ------------------------------------------------------------------
@require_GET
@staff_required
def administration_fhir(request: HttpRequest, pk: str) -> HttpResponse:
    """One questionnaire as a QuestionnaireResponse, for the client's health record."""
    user: User = request.user  # type: ignore[assignment]
    administration = get_administration_for(user, pk)
    if administration.status != AdministrationStatus.COMPLETED:
        raise Http404("This questionnaire has no answers yet.")
    current = export_responses(user, ExportFilters()).filter(administration=administration)
    width = max(f.item_count for f in get_registry().forms())
    rows = attach_answers(list(current.values_list(*FIELDS)), width)
    if not rows:
        raise Http404("This questionnaire has no answers yet.")
    audit.record(
        action="questionnaire_exported",
        actor=user,
        obj=administration,
        patient=administration.patient,
        request=request,
        detail={"format": "fhir"},
    )
    body = json.dumps(fhir.questionnaire_response(rows[0]), indent=2)
    response = HttpResponse(body, content_type=fhir.FHIR_JSON)
    name = f"questionnaire-{administration.pk}-{administration.form_code}.fhir.json"
    return _attachment(response, name)


@require_GET
@staff_required
def fhir_questionnaires(request: HttpRequest) -> HttpResponse:
    """Every loaded form as a Questionnaire, in one collection Bundle."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": q["url"], "resource": q} for q in fhir.all_questionnaires()],
    }
    response = HttpResponse(json.dumps(bundle, indent=2), content_type=fhir.FHIR_JSON)
    return _attachment(response, "alliance-questionnaires.fhir.json")
