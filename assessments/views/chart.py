"""The client's chart page, and marking the client's flags "discussed" from it."""

from __future__ import annotations

import json
from datetime import datetime

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance_site.freshness import cached_part
from assessments.alliance.dashboards import CaseloadRow, rows_for
from assessments.alliance.low import LowRule, low_rule_for
from assessments.alliance.marking import NOTE_MAX, DiscussionError, flags_discuss
from assessments.views.client_body import client_page_body, has_chart
from clinicians import audit
from clinicians.access import (
    parse_id,
    patients_visible_to,
    staff_required,
    staff_user,
)
from clinicians.models import Patient, Role, User

from ..models import Administration, AdministrationStatus, Rater


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


def _client_row(user: User, pk: object, low: LowRule) -> CaseloadRow:
    """The client's flags now, as the caseload shows them, with their latest scored
    questionnaire (`patient.latest_administration`: the one the "mark as discussed"
    form names). 404 unless `user` may see the client: get_client_for's rule, in the
    same query."""
    pid = parse_id(pk)
    if pid is None:
        raise Http404("No such client.")
    latest = F("alliance__latest__administration_id")  # one column, not the response
    one = patients_visible_to(user).filter(pk=pid).annotate(latest_administration=latest)
    rows = rows_for(one, user.clinic, low)
    if not rows:
        raise Http404("No such client.")
    return rows[0]


# In the cached head, where the request's security token goes (a real token is 64
# letters and digits, so this never is one).
CSRF_STAND_IN = "csrf-stand-in-for-this-request"


def _head(
    user: User,
    row: CaseloadRow,
    low: LowRule,
    form: DiscussedForm | None,
    *,
    csrf_token: str,
) -> tuple[str, bool, SafeString]:
    """The page above the body (who the client is, the actions, the flags now with the
    "mark as discussed" form), whether the viewer is the client's own therapist, and
    the body."""
    patient = row.patient
    therapist: User | None
    if user.role == Role.THERAPIST:
        # A therapist sees only the clients currently assigned to them
        # (patients_visible_to), so they are this client's therapist: no query.
        therapist = user
    else:
        current = patient.assignments.filter(ended_at__isnull=True).select_related("therapist")
        assignment = current.first()
        therapist = assignment.therapist if assignment else None
    is_own_client = therapist is not None and therapist.pk == user.pk
    body = client_page_body(patient.pk, is_own_client=is_own_client, clinic=user.clinic)
    latest: int | None = getattr(patient, "latest_administration", None)
    may_mark = (
        patient.is_active
        and latest is not None
        and any(f.code != "overdue" for f in row.flags)
        and not row.discussed
    )
    if may_mark and form is None and latest is not None:
        form = DiscussedForm(initial={"administration": latest})
    context = {
        "has_chart": has_chart(body),
        "low": low,
        "row": row,
        "mark_form": form if may_mark else None,
        "patient": patient,
        "current_therapist": therapist,
        "is_own_client": is_own_client,
        "csrf_token": csrf_token,
    }
    html = render_to_string("assessments/staff/_client_head.html", context)
    return html, is_own_client, body


def _page(
    request: HttpRequest, title: str, head: str, body: SafeString, *, status: int = 200
) -> HttpResponse:
    nav = "caseload" if staff_user(request).role == Role.THERAPIST else "console"
    context = {"title": title, "head": mark_safe(head), "body": body, "nav": nav}  # noqa: S308
    return render(request, "assessments/staff/client_detail.html", context, status=status)


@staff_required
def client_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """The client's page. The part above the body is kept in the shared cache per
    viewer (it is built only after `_client_row`'s access check, and any change to who
    may see the client writes to the database and so retires it), with a stand-in for
    the security token; on a hit no client row is read at all."""
    user = staff_user(request)
    pid = parse_id(pk)
    if pid is None:
        raise Http404("No such client.")
    now = timezone.now()

    def build() -> tuple[str, datetime | None]:
        low = low_rule_for(user.clinic)
        row = _client_row(user, pid, low)
        html, own, _body = _head(user, row, low, None, csrf_token=CSRF_STAND_IN)
        facts = json.dumps({"title": row.patient.code, "own": own})
        # Until the client's next open link expires: the overdue flag may then appear.
        until = (
            Administration.objects.filter(
                patient_id=pid,
                status=AdministrationStatus.OPEN,
                rater=Rater.CLIENT,
                expires_at__gt=now,
            )
            .order_by("expires_at")
            .values_list("expires_at", flat=True)
            .first()
        )
        return f"{facts}\n{html}", until

    key = (
        user.pk,
        pid,
        get_language(),
        timezone.get_current_timezone_name(),
        user.clinic.today(),
    )
    facts, head = cached_part("client-head", key, build, now=now).split("\n", 1)
    known = json.loads(facts)
    body = client_page_body(pid, is_own_client=known["own"], clinic=user.clinic)
    audit.record_view(request, page="client", patient=Patient(pk=pid, clinic_id=user.clinic_id))
    head = head.replace(CSRF_STAND_IN, get_token(request))
    return _page(request, known["title"], head, body)


@require_POST
@staff_required
def flags_discussed(request: HttpRequest, pk: str) -> HttpResponse:
    """A therapist (own caseload: others' clients answer 404) or the clinic admin marks
    the client's current flags discussed, on the questionnaire the page showed."""
    user = staff_user(request)
    low = low_rule_for(user.clinic)
    row = _client_row(user, pk, low)
    patient = row.patient
    form = DiscussedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The flags were not marked: please check the form below."))
        head, _own, body = _head(user, row, low, form, csrf_token=get_token(request))
        return _page(request, patient.code, head, body, status=400)
    try:
        marked = flags_discuss(
            actor=user,
            patient=patient,
            administration_id=form.cleaned_data["administration"],
            flags=[f.code for f in row.flags],
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
