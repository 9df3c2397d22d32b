"""Importing clients from a spreadsheet: upload → preview → confirm, with progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import audit, services
from ..access import admin_required, get_import_for
from ..forms import ImportUploadForm
from ..models import ImportStatus, User
from ..selectors import recent_imports
from ..spreadsheet import COLUMNS, SpreadsheetError
from ..tasks import queue_import
from .common import paginate, render_console

SHOW = {"all", "error", "new", "exists", "created"}


@admin_required
def import_upload(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    bound = request.method == "POST"
    form = ImportUploadForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.patients_import_check(
                actor=user, filename=upload.name, data=upload.read(), request=request
            )
        except SpreadsheetError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("clinicians:import_batch", pk=batch.pk)
    return render_console(
        request,
        "clinicians/console/import_upload.html",
        {"form": form, "recent": recent_imports(user), "columns": COLUMNS},
        section="import",
    )


@admin_required
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (status ready), the progress (saving) and the result (done)."""
    user: User = request.user  # type: ignore[assignment]
    batch = get_import_for(user, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                services.patients_import_claim(actor=user, batch=batch)
                # Saved by a worker (or here, at once, when no broker is configured);
                # the page follows its progress from any app server.
                queue_import(batch.pk, audit.client_ip(request))
                batch.refresh_from_db()
                if batch.status == ImportStatus.DONE:
                    messages.success(
                        request,
                        _("Imported %(count)s new clients.") % {"count": batch.created_count},
                    )
            elif action == "discard":
                services.import_discard(actor=user, batch=batch, request=request)
                messages.info(request, _("The import was discarded; nothing was saved."))
                return redirect("clinicians:import_upload")
            else:
                messages.error(request, _("Choose “Import” or “Discard”."))
        except services.ServiceError as exc:
            messages.error(request, str(exc.message))
        return redirect("clinicians:import_batch", pk=batch.pk)

    if batch.failure and batch.status == ImportStatus.READY:
        messages.error(request, _(batch.failure))
    show = request.GET.get("show", "")
    if show not in SHOW:
        # Errors first: they are what the admin must look at before confirming.
        show = "error" if batch.error_rows and batch.status == ImportStatus.READY else "all"
    rows = batch.rows if show == "all" else [r for r in batch.rows if r["outcome"] == show]
    audit.record_list_view(request, page="import_batch")
    return render_console(
        request,
        "clinicians/console/import_batch.html",
        {
            "batch": batch,
            "page": paginate(request, rows),
            "show": show,
            "progress": services.import_progress(batch),
        },
        section="import",
    )


@require_GET
@admin_required
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    user: User = request.user  # type: ignore[assignment]
    batch = get_import_for(user, pk)
    return JsonResponse(services.import_progress(batch))
