"""A staff user's own settings: the interface language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..languages import activate_for_request, supported_language
from ..models import User


def _back(request: HttpRequest) -> str:
    """The page the switch was used on, if it is one of ours; else the home page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """Save the chosen interface language on the account and return to the same page."""
    user: User = request.user  # type: ignore[assignment]
    language = supported_language(request.POST.get("language", ""))
    if language is None or len(request.POST.get("language", "")) > 10:
        messages.error(request, _("That language is not available. Nothing was changed."))
        return HttpResponseRedirect(_back(request))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    # The confirmation already speaks the new language.
    activate_for_request(request, language)
    return HttpResponseRedirect(_back(request))
