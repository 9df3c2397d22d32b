"""The public pages where an invited therapist chooses a password.

The link's token moves at once into the session and the browser is sent to an address
without it, so it never appears in a Referer header. The account is made, in the
inviting clinic, when the password is chosen.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..models import StaffInvitation, User
from ..tokens import hash_token, invitation_days

SESSION_KEY = "staff_invitation"


def _page(request: HttpRequest, template: str, context: dict | None = None) -> HttpResponse:
    response = render(request, template, {"days": invitation_days(), **(context or {})})
    response["X-Robots-Tag"] = "noindex"
    return response


def _no_longer_works(request: HttpRequest) -> HttpResponse:
    # One page for unknown, expired, replaced and used links: nothing to tell apart.
    return _page(request, "clinicians/invitation_accept.html", {"validlink": False})


@require_GET
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token_hash(hash_token(token)) if len(token) < 100 else None
    if invitation is None:
        response = _no_longer_works(request)
    else:
        request.session[SESSION_KEY] = invitation.token_hash
        response = redirect("clinicians:invitation_set_password")
    # The address holds the token. Not on the password form's own address (which holds
    # none): there, "no-referrer" makes browsers send "Origin: null" with the POST, and
    # Django's CSRF check rightly refuses it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _session_invitation(request: HttpRequest) -> StaffInvitation | None:
    token_hash = request.session.get(SESSION_KEY)
    if not isinstance(token_hash, str):
        return None
    return services.invitation_by_token_hash(token_hash)


@require_http_methods(["GET", "POST"])
def invitation_set_password(request: HttpRequest) -> HttpResponse:
    invitation = _session_invitation(request)
    if invitation is None:
        return _no_longer_works(request)
    if services.account_elsewhere(invitation):
        # Only whoever holds the emailed link reads this: the inviting clinic is told
        # nothing, whatever the answer.
        return _page(
            request, "clinicians/invitation_account_exists.html", {"invitation": invitation}
        )
    person = User(email=invitation.email, display_name=invitation.display_name)
    form = SetPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_complete(
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except services.AccountElsewhere:
            return _page(
                request, "clinicians/invitation_account_exists.html", {"invitation": invitation}
            )
        except services.ServiceError:
            return _no_longer_works(request)
        request.session.pop(SESSION_KEY, None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your password is set. Welcome to Alliance."))
        # Signed in with the new password: straight on to setting up the second factor.
        if settings.ALLIANCE_REQUIRE_2FA:
            return redirect("clinicians:second_factor_enrol")
        return redirect("home")
    return _page(
        request,
        "clinicians/invitation_accept.html",
        {"validlink": True, "form": form, "invitation": invitation},
    )
