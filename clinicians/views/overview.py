"""The console's overview (caseload balance)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..access import admin_required
from ..models import User
from ..selectors import caseload_balance
from .common import render_console


@admin_required
def console(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render_console(
        request,
        "clinicians/console/overview.html",
        {"balance": caseload_balance(user)},
        section="overview",
    )
