from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .models import User


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in by email. The field keeps Django's name `username` (lockout reads it)."""

    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That email address and password do not match an active account. "
            "Check both and try again."
        ),
        "inactive": _("This account has been deactivated. Ask your clinic admin."),
    }


class StaffPasswordResetForm(PasswordResetForm):
    """Resets only for active staff of a clinic; the page says the same either way."""

    def get_users(self, email: str) -> Iterator[Any]:
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.has_usable_password() or u.clinic_id is not None)
