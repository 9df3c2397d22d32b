"""Review together: the client's own scores, in large type and plain words, on a screen
the therapist can turn round or hand over during a session.

Opening the page puts the staff session into review mode (a mark in the session, which
every app server reads from the database). While it is on, `ReviewModeMiddleware` sends
every other staff page back here, so the client cannot wander into the caseload, notes
or other clients; the one way back to the staff pages is the staff member's password.
Sign-out still works. Five wrong passwords in a row end the session: the way back is
then the normal sign-in, with its lockout and the second factor.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from assessments.alliance.analysis import client_chart_series
from assessments.alliance.charts import REVIEW_VARIANTS, responsive_chart
from clinicians import audit
from clinicians.access import get_client_for, staff_required, staff_user
from clinicians.languages import activate_for_request, client_language
from clinicians.models import Patient

REVIEW_SESSION_KEY = "review_together"  # the client's pk while review mode is on
FAILURES_SESSION_KEY = "review_together_failures"
MAX_FAILURES = 5


class LeaveReviewForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your staff password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def review_patient_id(request: HttpRequest) -> int | None:
    """The client whose review is open in this session, if any."""
    session = getattr(request, "session", None)
    value = session.get(REVIEW_SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) else None


def _speak_their_language(request: HttpRequest, patient: Patient) -> None:
    """The page is for the client: their language, so the words (and dates) are theirs."""
    activate_for_request(request, client_language(patient.preferred_language))


def _render(
    request: HttpRequest, patient: Patient, form: LeaveReviewForm, status: int = 200
) -> HttpResponse:
    # The client's own ratings only: no therapist rating, no flags, no notes.
    _by_rater, client_points = client_chart_series(patient)
    chart = responsive_chart(
        client_points,
        [],
        title=_("Your scores over time, out of 100. The table below has every figure."),
        variants=REVIEW_VARIANTS,
        ruptures=False,
    )
    rows = [p for p, _f in reversed(client_points)]
    context = {
        "patient": patient,
        "chart": chart,
        "rows": rows,
        "latest": rows[0] if rows else None,
        "form": form,
    }
    return render(request, "assessments/review/review.html", context, status=status)


@staff_required
def review(request: HttpRequest, pk: str) -> HttpResponse:
    """The review page; opening it turns review mode on for this session."""
    try:
        patient = get_client_for(staff_user(request), pk)
    except Http404:
        if review_patient_id(request) is not None:
            # The client left this caseload while their review was open: no way back
            # without the password, so end the session rather than strand it on a 404.
            logout(request)
            return redirect("login")
        raise
    _speak_their_language(request, patient)
    if review_patient_id(request) != patient.pk:
        request.session[REVIEW_SESSION_KEY] = patient.pk
        request.session[FAILURES_SESSION_KEY] = 0
    audit.record_view(request, page="review", patient=patient)
    return _render(request, patient, LeaveReviewForm())


@require_POST
@staff_required
def review_leave(request: HttpRequest, pk: str) -> HttpResponse:
    """Back to the staff pages with the staff member's password."""
    user = staff_user(request)
    patient = get_client_for(user, pk)
    if review_patient_id(request) is None:
        return redirect("assessments:client", patient.pk)  # nothing to leave
    _speak_their_language(request, patient)
    form = LeaveReviewForm(request.POST)
    if form.is_valid() and user.check_password(form.cleaned_data["password"]):
        request.session.pop(REVIEW_SESSION_KEY, None)
        request.session.pop(FAILURES_SESSION_KEY, None)
        audit.record(action="review_left", actor=user, patient=patient, request=request)
        return redirect("assessments:client", patient.pk)
    failures = int(request.session.get(FAILURES_SESSION_KEY, 0) or 0) + 1
    audit.record(
        action="review_leave_refused",
        actor=user,
        patient=patient,
        request=request,
        detail={"failures": failures},
    )
    if failures >= MAX_FAILURES:
        logout(request)
        messages.info(
            request,
            _("You were signed out after %(n)s wrong passwords. Please sign in again.")
            % {"n": MAX_FAILURES},
        )
        return redirect("login")
    request.session[FAILURES_SESSION_KEY] = failures
    if form.is_valid():
        form.add_error("password", _("That password is not right. Please try again."))
    audit.record_view(request, page="review", patient=patient)
    return _render(request, patient, form, status=400)
