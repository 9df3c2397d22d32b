"""The public page where an invited therapist chooses a password."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from .. import services
from ..models import Role, User
from ..tokens import invitation_days, invitation_token


class InvitationAcceptView(PasswordResetConfirmView):
    """Django's reset-confirm flow with the invitation token.

    On GET the token moves into the session and the browser is sent to a URL without
    it, so it never appears in a Referer header; the password form then signs them in.
    """

    token_generator = invitation_token
    template_name = "clinicians/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        # A deactivated or non-therapist account cannot be entered through this door.
        if user is None or not user.is_active or user.role != Role.THERAPIST or not user.clinic_id:
            return None
        return user

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(*args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        if kwargs.get("token") != self.reset_url_token:
            # The URL holds the token. Not on the password form's own URL (which holds
            # none): there, "no-referrer" makes browsers send "Origin: null" with the
            # POST, and Django's CSRF check rightly refuses it.
            response["Referrer-Policy"] = "no-referrer"
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["days"] = invitation_days()
        return context

    def get_success_url(self) -> str:
        # Signed in with the new password: straight on to setting up the second factor.
        if settings.ALLIANCE_REQUIRE_2FA:
            return reverse("clinicians:second_factor_enrol")
        return str(self.success_url)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.invitation_accept(user=form.user, request=self.request)
        messages.success(self.request, _("Your password is set. Welcome to Alliance."))
        return response


invitation_accept = InvitationAcceptView.as_view()
