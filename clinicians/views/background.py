"""The console's "Background work" panel: when each periodic task last ran, last
succeeded and last failed, so an admin notices when reminders stopped."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from .. import background
from ..access import admin_required
from .common import render_console


@require_GET
@admin_required
def background_work(request: HttpRequest) -> HttpResponse:
    return render_console(
        request,
        "clinicians/console/background.html",
        {"lines": background.panel(), "eager": settings.CELERY_TASK_ALWAYS_EAGER},
        section="background",
    )
