"""Therapists: list, invite, deactivate, reactivate, transfer a caseload."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import audit, services
from ..access import admin_required, get_therapist_for
from ..forms import InviteTherapistForm, TransferPlanForm, TransferTargetsForm
from ..models import User
from ..selectors import caseload_of, open_invitations, therapist_list, transfer_proposal
from ..services import second_factor
from ..tokens import invitation_days
from .common import paginate, render_console


@admin_required
def therapists(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render_console(
        request,
        "clinicians/console/therapists.html",
        {
            "page": paginate(request, therapist_list(user)),
            "invitations": open_invitations(user),
            "invitation_days": invitation_days(),
        },
        section="therapists",
    )


@admin_required
def therapist_invite(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = InviteTherapistForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.therapist_invite(
                actor=user,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            text = (
                _("A new invitation was sent to %(email)s. Earlier links no longer work.")
                if invitation.resent
                else _(
                    "%(email)s is invited. They will get an email with a link to choose a password."
                )
            )
            messages.success(request, text % {"email": invitation.email})
            return redirect("clinicians:therapists")
    return render_console(
        request,
        "clinicians/console/therapist_invite.html",
        {"form": form, "invitation_days": invitation_days()},
        section="therapists",
    )


@admin_required
def therapist_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    therapist = get_therapist_for(user, pk)
    refused = ""
    if request.method == "POST":
        try:
            services.therapist_deactivate(actor=user, therapist=therapist, request=request)
        except services.ServiceError as exc:
            refused = str(exc.message)
        else:
            messages.success(
                request,
                _("%(name)s is deactivated and can no longer sign in.") % {"name": therapist},
            )
            return redirect("clinicians:therapists")
    return render_console(
        request,
        "clinicians/console/therapist_deactivate.html",
        {
            "therapist": therapist,
            "client_count": caseload_of(therapist).count(),
            "refused": refused,
        },
        section="therapists",
        status=409 if refused else 200,
    )


@require_POST
@admin_required
def therapist_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    therapist = get_therapist_for(user, pk)
    try:
        services.therapist_reactivate(actor=user, therapist=therapist, request=request)
    except services.ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("%(name)s is active again and can sign in.") % {"name": therapist}
        )
    return redirect("clinicians:therapists")


@admin_required
def therapist_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 (GET): choose therapists. Step 2 (GET with ?to=): the preview, where each
    client's new therapist can still be changed. Step 3 (POST): move them all at once."""
    user: User = request.user  # type: ignore[assignment]
    source = get_therapist_for(user, pk)
    clients = list(caseload_of(source))
    candidates = therapist_list(user).filter(is_active=True).exclude(pk=source.pk)
    data = request.POST if request.method == "POST" else request.GET
    bound = "to" in data or "step" in data
    targets_form = TransferTargetsForm(data if bound else None, targets=candidates)
    plan_form = None
    if targets_form.is_bound and targets_form.is_valid() and clients:
        targets = list(targets_form.cleaned_data["to"])
        proposal = transfer_proposal(clients, targets)
        if request.method == "POST":
            posted = {k for k in request.POST if k.startswith("client_")}
            expected = {f"client_{c.pk}" for c in clients}
            if posted != expected:
                messages.warning(
                    request,
                    _(
                        "%(name)s's caseload changed since the preview. Check the new "
                        "preview and confirm again."
                    )
                    % {"name": source},
                )
                plan_form = TransferPlanForm(clients=clients, targets=targets, proposal=proposal)
            else:
                plan_form = TransferPlanForm(
                    request.POST, clients=clients, targets=targets, proposal=proposal
                )
                if plan_form.is_valid():
                    try:
                        result = services.caseload_transfer(
                            actor=user, source=source, plan=plan_form.plan(), request=request
                        )
                    except services.ServiceError as exc:
                        messages.error(request, str(exc.message))
                    else:
                        names = {t.pk: str(t) for t in targets}
                        spread = ", ".join(
                            f"{count} → {names[pk]}" for pk, count in result.by_therapist.items()
                        )
                        messages.success(
                            request,
                            _("Moved %(count)s clients of %(name)s: %(spread)s.")
                            % {"count": result.moved, "name": source, "spread": spread},
                        )
                        return redirect("clinicians:therapists")
        else:
            plan_form = TransferPlanForm(clients=clients, targets=targets, proposal=proposal)
    audit.record_list_view(request, page="therapist_transfer")
    return render_console(
        request,
        "clinicians/console/therapist_transfer.html",
        {
            "source": source,
            "clients": clients,
            "targets_form": targets_form,
            "plan_form": plan_form,
            "has_candidates": candidates.exists(),
        },
        section="therapists",
    )


@admin_required
def therapist_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST removes the therapist's app and recovery codes."""
    user: User = request.user  # type: ignore[assignment]
    therapist = get_therapist_for(user, pk)
    if request.method == "POST":
        try:
            second_factor.second_factor_reset(actor=user, therapist=therapist, request=request)
        except services.ServiceError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "%(name)s's second factor is reset. They set up their authenticator "
                    "app again the next time they sign in."
                )
                % {"name": therapist},
            )
        return redirect("clinicians:therapists")
    return render_console(
        request,
        "clinicians/console/therapist_second_factor_reset.html",
        {"therapist": therapist, "has_device": second_factor.has_second_factor(therapist)},
        section="therapists",
    )
