"""The clinic admin's API keys: list, make (the key is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinicians.access import admin_required
from clinicians.models import User

from .. import services
from ..forms import ApiKeyForm
from ..models import ApiKey


def _keys(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(clinic_id=user.clinic_id).select_related("created_by"))


def _get_key_for(user: User, pk: int) -> ApiKey:
    key = ApiKey.objects.filter(clinic_id=user.clinic_id, pk=pk).first()
    if key is None:
        raise Http404("No such API key.")
    return key


@admin_required
def api_keys(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new_key = services.api_key_create(
                    actor=user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    request=request,
                )
            except services.IntegrationError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                # Rendered, not redirected: the key exists only in this response.
                form = ApiKeyForm()
        else:
            status = 400
    return render(
        request,
        "integrations/api_keys.html",
        {
            "nav": "console",
            "section": "api_keys",
            "form": form,
            "keys": _keys(user),
            "new_key": new_key,
        },
        status=status,
    )


@admin_required
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    key = _get_key_for(user, pk)
    if request.method == "POST":
        services.api_key_revoke(actor=user, key=key, request=request)
        messages.success(
            request,
            _("The key “%(name)s” is revoked: calls with it are refused from now on.")
            % {"name": key.name},
        )
        return redirect("integrations:api_keys")
    return render(
        request,
        "integrations/api_key_revoke.html",
        {"nav": "console", "section": "api_keys", "key": key},
    )
