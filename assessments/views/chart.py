"""The client's chart page, and marking the client's flags "discussed" from it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assessments.alliance.charts import chart_title, responsive_chart
from assessments.alliance.history import ClientHistory, client_history
from assessments.alliance.marking import NOTE_MAX, DiscussionError, flags_discuss
from assessments.alliance.wording import norms_text
from assessments.questionnaires.selectors import client_questionnaires
from assessments.schedules.selectors import client_schedule
from assessments.scoring.registry import get_registry
from clinicians import audit
from clinicians.access import get_client_for, staff_required, staff_user
from clinicians.models import Patient, Role


class DiscussedForm(forms.Form):
    administration = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "What you talked about, for your colleagues at this clinic. The note is part "
            "of the client's record; it is not written to the audit log."
        ),
    )


def _page(
    request: HttpRequest, patient: Patient, form: DiscussedForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    history = client_history(patient, user.clinic)
    current = patient.assignments.filter(ended_at__isnull=True).select_related("therapist").first()
    chart = responsive_chart(
        history.client_points,
        history.therapist_points,
        low=history.low,
        title=chart_title(patient.code),
    )
    row = history.current
    may_mark = (
        patient.is_active
        and row.summary is not None
        and row.summary.latest_id is not None
        and any(f.code != "overdue" for f in row.flags)
        and not row.discussed
    )
    if may_mark and form is None:
        form = DiscussedForm(initial={"administration": _latest_administration(history)})
    points = history.client_points
    latest_clients = points[-1][1].details.get("norms_clients", 0) if points else 0
    context = {
        "latest_norms": norms_text(int(latest_clients or 0)),
        "chart": chart,
        "history": history,
        "row": row,
        "mark_form": form if may_mark else None,
        "patient": patient,
        "administrations": client_questionnaires(patient),
        "current_therapist": current.therapist if current else None,
        "is_own_client": bool(current and current.therapist_id == user.pk),
        "nav": "caseload" if user.role == Role.THERAPIST else "console",
        "registry": get_registry(),
        "scheduled": client_schedule(patient),
    }
    return render(request, "assessments/staff/client_detail.html", context, status=status)


def _latest_administration(history: ClientHistory) -> int | None:
    points = history.client_points
    return points[-1][0].administration_id if points else None


@staff_required
def client_detail(request: HttpRequest, pk: str) -> HttpResponse:
    patient = get_client_for(staff_user(request), pk)
    audit.record_view(request, page="client", patient=patient)
    return _page(request, patient)


@require_POST
@staff_required
def flags_discussed(request: HttpRequest, pk: str) -> HttpResponse:
    """A therapist (own caseload: others' clients answer 404) or the clinic admin marks
    the client's current flags discussed, on the questionnaire the page showed."""
    user = staff_user(request)
    patient = get_client_for(user, pk)
    form = DiscussedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The flags were not marked: please check the form below."))
        return _page(request, patient, form, status=400)
    history = client_history(patient, user.clinic)
    try:
        marked = flags_discuss(
            actor=user,
            patient=patient,
            administration_id=form.cleaned_data["administration"],
            flags=[f.code for f in history.current.flags],
            note=form.cleaned_data["note"],
            request=request,
        )
    except DiscussionError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:client", patient.pk)
    if marked.created:
        messages.success(
            request,
            _(
                "Marked as discussed. The client leaves the attention list until a later "
                "questionnaire raises a new flag."
            ),
        )
    else:
        messages.info(request, _("These flags were already marked as discussed."))
    return redirect("assessments:client", patient.pk)
