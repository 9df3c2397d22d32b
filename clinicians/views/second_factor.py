"""Signing in with a second factor: set up the app, enter a code, keep recovery codes."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from ..models import User
from ..services import second_factor as sf

NEXT_KEY = "second_factor_next"
CODES_KEY = "second_factor_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


def _remember_next(request: HttpRequest) -> None:
    target = request.GET.get("next", "")
    # Only a path on this site, of a sane length: redirect() would read anything else as
    # a view name, and Django refuses redirects longer than 16 KB (both were 500s).
    if (
        target.startswith("/")
        and len(target) <= 2000
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        request.session[NEXT_KEY] = target


def _next_url(request: HttpRequest) -> str:
    return request.session.pop(NEXT_KEY, None) or reverse("home")


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _wait_message(wait_until: Any) -> str:
    if wait_until is None:
        return _("Too many wrong codes. Wait a moment, then try again.")
    seconds = max(1, int((wait_until - timezone.now()).total_seconds()) + 1)
    return _(
        "Too many wrong codes in a row. Wait %(seconds)s seconds, then try again with a new code."
    ) % {"seconds": seconds}


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Step 1 of the first sign-in: scan the QR code (or type the key), enter a code."""
    user: User = request.user  # type: ignore[assignment]
    if sf.has_second_factor(user):
        # Set up already: a password alone must never replace the app.
        return redirect("clinicians:account_security" if _is_verified(request) else "home")
    if request.method == "GET":
        _remember_next(request)
    device = sf.enrolment_device(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = sf.second_factor_enrol(user=user, code=form.cleaned_data["code"], request=request)
        if isinstance(result, sf.Enrolled):
            otp_login(request, result.device)
            request.session[CODES_KEY] = result.recovery_codes
            return redirect("clinicians:recovery_codes")
        if result.throttled:
            form.add_error("code", _wait_message(result.wait_until))
            status = 429
        else:
            form.add_error(
                "code",
                _(
                    "That code does not match. Check that the app shows Alliance with "
                    "your email address and enter the code it shows now."
                ),
            )
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)
    return render(
        request,
        "registration/second_factor_enrol.html",
        {"form": form, "qr": qr, "key": sf.key_for_reading(device)},
        status=status,
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in after the first: a code from the app, or one recovery code."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "GET":
        _remember_next(request)
    if not sf.has_second_factor(user):
        return redirect("clinicians:second_factor_enrol")
    if _is_verified(request):
        return redirect(_next_url(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = sf.second_factor_verify(user=user, code=form.cleaned_data["code"], request=request)
        if result.device is not None:
            otp_login(request, result.device)
            if result.recovery_codes_left is not None:
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; it cannot be used again. "
                        "%(left)s recovery codes are left. You can make new ones under "
                        "Account security."
                    )
                    % {"left": result.recovery_codes_left},
                )
            return redirect(_next_url(request))
        if result.throttled:
            form.add_error("code", _wait_message(result.wait_until))
            status = 429
        else:
            form.add_error(
                "code",
                _(
                    "That code does not match. Enter the 6-digit code your app shows now, "
                    "or one of your recovery codes."
                ),
            )
    return render(request, "registration/second_factor_verify.html", {"form": form}, status=status)


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once, until the user says they have saved them."""
    codes = request.session.get(CODES_KEY)
    if not codes:
        return redirect("clinicians:account_security")
    if request.method == "POST":
        request.session.pop(CODES_KEY, None)
        return redirect(_next_url(request))
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": [sf.format_recovery_code(c) for c in codes]},
    )


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = sf.confirmed_totp(user)
    return render(
        request,
        "registration/account_security.html",
        {
            "nav": "security",
            "device": device,
            "codes_left": sf.recovery_codes_left(user) if device else 0,
        },
    )


@require_POST
@login_required
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not sf.has_second_factor(user) or not _is_verified(request):
        messages.error(request, _("Set up an authenticator app first."))
        return redirect("clinicians:account_security")
    request.session[CODES_KEY] = sf.recovery_codes_regenerate(user=user, request=request)
    request.session[NEXT_KEY] = reverse("clinicians:account_security")
    return redirect("clinicians:recovery_codes")
