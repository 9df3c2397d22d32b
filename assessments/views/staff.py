"""Staff pages for questionnaires: ask for one, its link and QR code, own ratings,
paper entry and corrections. Thin: parse, call a service, render."""

from __future__ import annotations

from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.questionnaires.forms import (
    CorrectionReasonForm,
    QuestionnaireForm,
    RequestForm,
    StaffEntryForm,
)
from assessments.questionnaires.links import (
    QuestionnaireError,
    administration_new_link,
    administration_request,
    administration_revoke,
    link_url,
)
from assessments.questionnaires.reminders import EmailNotSent, administration_email
from assessments.questionnaires.selectors import (
    answer_rows,
    get_administration_for,
    get_response_for,
    next_session_number,
)
from assessments.questionnaires.submissions import response_correct, staff_entry_submit
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import ScoringError
from clinicians import audit
from clinicians.access import (
    get_client_for,
    parse_id,
    staff_required,
    staff_user,
    therapist_required,
)
from clinicians.models import Patient, Role, User

from ..models import Administration, AdministrationStatus, OccasionKind, Rater

LINK_COOKIE_SECONDS = 60 * 60
LINK_COOKIE_SALT = "alliance.questionnaire-link"


def _link_cookie_name(administration: Administration) -> str:
    return f"alliance_link_{administration.pk}"


def _remember_link(response: HttpResponse, administration: Administration, token: str) -> None:
    """Keep the raw link in the staff member's browser for an hour, never in the database.

    Only the token's hash is stored on the server; this signed, HttpOnly cookie is what
    lets the link page show the link again after a reload.
    """
    response.set_signed_cookie(
        _link_cookie_name(administration),
        token,
        salt=LINK_COOKIE_SALT,
        max_age=LINK_COOKIE_SECONDS,
        path=reverse("assessments:administration", args=[administration.pk]),
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Strict",
    )


def _remembered_link(request: HttpRequest, administration: Administration) -> str | None:
    return request.get_signed_cookie(
        _link_cookie_name(administration),
        default=None,
        salt=LINK_COOKIE_SALT,
        max_age=LINK_COOKIE_SECONDS,
    )


@staff_required
def request_new(request: HttpRequest, pk: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_client_for(user, pk)
    form = RequestForm(
        request.POST or None,
        clinic=patient.clinic,
        client_has_email=bool(patient.email),
        initial={
            "session_date": staff_user(request).clinic.today(),
            "occasion": OccasionKind.SESSION,
            "session_number": next_session_number(patient),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            issued = administration_request(
                actor=user,
                patient=patient,
                form_code=form.cleaned_data["form_code"],
                occasion=form.occasion_value(),
                request=request,
            )
            if form.cleaned_data.get("send_email"):
                try:
                    administration_email(actor=user, administration=issued.administration)
                except EmailNotSent as exc:
                    # The questionnaire exists: go to its page, where the link is.
                    messages.error(request, str(exc))
                else:
                    messages.success(request, _("The link was emailed to the client."))
        except QuestionnaireError as exc:
            form.add_error(None, str(exc))
        else:
            response = redirect("assessments:administration", issued.administration.pk)
            _remember_link(response, issued.administration, issued.token)
            return response
    context = {"patient": patient, "form": form, "nav": _nav(user)}
    audit.record_view(request, page="request_new", patient=patient)
    return render(request, "assessments/staff/request_new.html", context)


def _nav(user: User) -> str:
    return "caseload" if user.role == Role.THERAPIST else "console"


@staff_required
def administration_detail(request: HttpRequest, pk: str) -> HttpResponse:
    user = staff_user(request)
    administration = get_administration_for(user, pk)
    token = _remembered_link(request, administration) if administration.state == "open" else None
    link = link_url(token, request) if token else None
    qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2) if link else None
    code_live = bool(
        administration.short_code
        and administration.short_code_expires_at
        and administration.short_code_expires_at > timezone.now()
    )
    response = administration.responses.filter(is_current=True).first()
    instrument = get_registry().get(administration.form_code)
    context = {
        "administration": administration,
        "patient": administration.patient,
        "link": link,
        "qr": qr,
        "code_live": code_live,
        "response": response,
        "rows": answer_rows(instrument, response, administration.therapist.display_name)
        if response
        else [],
        "instrument": instrument,
        "versions": list(
            administration.responses.order_by("-version").select_related("entered_by")
        ),
        "nav": _nav(user),
        "can_rate": user.role == Role.THERAPIST
        and administration.rater == Rater.CLIENT
        and administration.therapist_id == user.pk,
    }
    audit.record_view(
        request, page="questionnaire", patient=administration.patient, obj=administration
    )
    return render(request, "assessments/staff/administration.html", context)


def _administration_action(
    request: HttpRequest, pk: str, service: Callable[..., object], done: str
) -> HttpResponse:
    """POST-only actions on one questionnaire: call the service, say what happened."""
    administration = get_administration_for(staff_user(request), pk)
    try:
        service(actor=staff_user(request), administration=administration, request=request)
        messages.success(request, done)
    except QuestionnaireError as exc:
        messages.error(request, str(exc))
    return redirect("assessments:administration", administration.pk)


@require_POST
@staff_required
def administration_revoke_view(request: HttpRequest, pk: str) -> HttpResponse:
    return _administration_action(
        request,
        pk,
        administration_revoke,
        _("The questionnaire was withdrawn. Its link no longer works."),
    )


@require_POST
@staff_required
def administration_new_link_view(request: HttpRequest, pk: str) -> HttpResponse:
    administration = get_administration_for(staff_user(request), pk)
    try:
        issued = administration_new_link(
            actor=staff_user(request), administration=administration, request=request
        )
    except QuestionnaireError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:administration", administration.pk)
    messages.success(request, _("A new link and code were made. Earlier links no longer work."))
    response = redirect("assessments:administration", administration.pk)
    _remember_link(response, administration, issued.token)
    return response


@require_POST
@staff_required
def administration_email_view(request: HttpRequest, pk: str) -> HttpResponse:
    return _administration_action(
        request, pk, administration_email, _("The link was emailed to the client.")
    )


def _staff_entry(request: HttpRequest, pk: str, *, rater: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_client_for(user, pk)
    registry = get_registry()
    default = (
        patient.clinic.default_therapist_form
        if rater == Rater.THERAPIST
        else patient.clinic.default_client_form
    )
    # The therapist's own rating pairs with a client questionnaire: the one named with
    # ?for=, else the client's latest completed one; its session, and the form built to
    # pair with its form, are the defaults (so that the two ratings can be compared).
    source = _pair_source(patient, request.GET.get("for", "")) if rater == Rater.THERAPIST else None
    paired = registry.pair_of(source.form_code) if source is not None else None
    if paired in registry and registry.get(paired).rater == rater:
        default = paired
    # Which form: chosen with ?form=, else the default above for this rater.
    chosen = request.GET.get("form") or request.POST.get("form_code") or default
    if chosen not in registry or registry.get(chosen).rater != rater:
        chosen = (
            default
            if default in registry
            else next(f.code for f in registry.forms() if f.rater == rater)
        )
    instrument = registry.get(chosen)
    initial: dict[str, object] = {
        "form_code": chosen,
        "session_date": staff_user(request).clinic.today(),
        "occasion": OccasionKind.SESSION,
        "session_number": next_session_number(patient),
    }
    if rater == Rater.CLIENT:
        linked = parse_id(request.GET.get("for"))
        if linked is not None:
            source = Administration.objects.filter(pk=linked, patient=patient).first()
    if source is not None:
        initial.update(
            occasion=source.occasion,
            session_number=source.session_number,
            occasion_note=source.occasion_note,
            session_date=source.session_date,
        )
    data = request.POST if request.method == "POST" else None
    meta = StaffEntryForm(data, rater=rater, default=chosen, initial=initial)
    therapist_name = (
        user.display_name
        if rater == Rater.THERAPIST
        else getattr(_current_therapist_or_none(patient), "display_name", "")
    )
    answers = QuestionnaireForm(
        data,
        instrument=instrument,
        therapist_name=therapist_name,
        allow_missing=rater == Rater.CLIENT,  # paper forms may have gaps
    )
    if request.method == "POST" and meta.is_valid() and answers.is_valid():
        try:
            response = staff_entry_submit(
                actor=user,
                patient=patient,
                form_code=instrument.code,
                rater=rater,
                occasion=meta.occasion_value(),
                answers=answers.answers(),
                request=request,
            )
        except (QuestionnaireError, ScoringError) as exc:
            meta.add_error(None, str(exc))
        else:
            messages.success(request, _("The answers were saved and scored."))
            return redirect("assessments:administration", response.administration_id)
    context = {
        "patient": patient,
        "meta": meta,
        "form": answers,
        "instrument": instrument,
        "rater": rater,
        "forms": [f for f in registry.forms() if f.rater == rater],
        "nav": _nav(user),
    }
    status = 400 if request.method == "POST" else 200
    page = "own_rating" if rater == Rater.THERAPIST else "paper_entry"
    audit.record_view(request, page=page, patient=patient)
    return render(request, "assessments/staff/staff_entry.html", context, status=status)


def _pair_source(patient: Patient, linked: str) -> Administration | None:
    """The client questionnaire a therapist's own rating pairs with: ?for=<id> when it is
    this client's, else the client's latest completed one (None if there is none)."""
    of_client = Administration.objects.filter(patient=patient, rater=Rater.CLIENT)
    linked_id = parse_id(linked)
    if linked_id is not None:
        named = of_client.filter(pk=linked_id).first()
        if named is not None:
            return named
    return (
        of_client.filter(status=AdministrationStatus.COMPLETED)
        .order_by("-session_date", "-completed_at", "-pk")
        .first()
    )


def _current_therapist_or_none(patient: Patient) -> User | None:
    current = patient.assignments.filter(ended_at__isnull=True).select_related("therapist").first()
    return current.therapist if current else None


@therapist_required
def self_rating(request: HttpRequest, pk: str) -> HttpResponse:
    return _staff_entry(request, pk, rater=Rater.THERAPIST)


@staff_required
def paper_entry(request: HttpRequest, pk: str) -> HttpResponse:
    return _staff_entry(request, pk, rater=Rater.CLIENT)


@staff_required
def response_correct_view(request: HttpRequest, pk: str) -> HttpResponse:
    user = staff_user(request)
    response = get_response_for(user, pk)
    administration = response.administration
    if not response.is_current:
        messages.info(
            request, _("This is an earlier version; the correction starts from the latest.")
        )
        return redirect("assessments:administration", administration.pk)
    instrument = get_registry().get(administration.form_code)
    initial = {f"item_{a.item}": a.value for a in response.answers.all()}
    data = request.POST if request.method == "POST" else None
    reason = CorrectionReasonForm(data)
    answers = QuestionnaireForm(
        data,
        instrument=instrument,
        therapist_name=administration.therapist.display_name,
        allow_missing=True,
        initial=initial,
    )
    if request.method == "POST" and reason.is_valid() and answers.is_valid():
        try:
            response_correct(
                actor=user,
                response=response,
                answers=answers.answers(),
                reason=reason.cleaned_data["reason"],
                request=request,
            )
        except (QuestionnaireError, ScoringError) as exc:
            reason.add_error(None, str(exc))
        else:
            messages.success(request, _("The correction was saved as a new version."))
            return redirect("assessments:administration", administration.pk)
    context = {
        "administration": administration,
        "patient": administration.patient,
        "reason": reason,
        "form": answers,
        "instrument": instrument,
        "nav": _nav(user),
    }
    audit.record_view(request, page="correction", patient=administration.patient, obj=response)
    return render(
        request,
        "assessments/staff/correct.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
