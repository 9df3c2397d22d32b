"""The dashboards: the therapist's caseload and the clinic overview."""

from __future__ import annotations

from datetime import date, datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from alliance_site import freshness
from assessments.alliance.dashboards import (
    FLAG_CODES,
    SORTS,
    caseload_rows,
    filter_and_sort,
    flag_names,
    waiting_in,
)
from assessments.alliance.low import low_rule_for
from assessments.alliance.overview import (
    STALE_DAYS,
    clinic_overview,
    default_period,
    overview_valid_until,
)
from assessments.schedules.selectors import failed_schedules
from clinicians import audit
from clinicians.access import admin_required, staff_user, therapist_required

PAGE_SIZE = 50


@therapist_required
def caseload(request: HttpRequest) -> HttpResponse:
    flag = request.GET.get("flag", "")
    flag = flag if flag in (*FLAG_CODES, "any", "discussed") else ""
    sort = request.GET.get("sort", "flags")
    sort = sort if sort in SORTS else "flags"
    low = low_rule_for(staff_user(request).clinic)
    everyone = caseload_rows(staff_user(request), low=low)
    rows = filter_and_sort(everyone, flag=flag, sort=sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": page.object_list,
        "total": len(rows),
        "flag": flag,
        "sort": sort,
        "flag_choices": flag_names(),
        "waiting": waiting_in(everyone)[:100],
        "low_rule": low.describe(),
        "nav": "caseload",
    }
    audit.record_list_view(request, page="caseload")
    return render(request, "assessments/dashboards/caseload.html", context)


def _parse_date(raw: str | None, fallback: date) -> tuple[date, bool]:
    if not raw:
        return fallback, True
    try:
        return date.fromisoformat(raw), True
    except ValueError:
        return fallback, False


@admin_required
def clinic_alliance(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    clinic = user.clinic
    today = clinic.today()
    default_start, default_end = default_period(today)
    start, ok_start = _parse_date(request.GET.get("start"), default_start)
    end, ok_end = _parse_date(request.GET.get("end"), default_end)
    errors = []
    if not (ok_start and ok_end):
        errors.append(_("Enter dates such as 2026-09-01; the last 90 days are shown instead."))
        start, end = default_start, default_end
    elif start > end:
        errors.append(_("The start date is after the end date; the two were swapped."))
        start, end = end, start
    stale = request.GET.get("stale") == "1"
    page = request.GET.get("page")
    now = timezone.now()

    def build() -> tuple[str, datetime]:
        overview = clinic_overview(user, start=start, end=end, page=page, stale_only=stale)
        context = {
            "overview": overview,
            "flagged": overview.flagged,
            "stale_days": STALE_DAYS,
            "low_rule": overview.low.describe() if overview.low else [],
            "failed_schedules": failed_schedules(user),
            "request": request,  # for the pager's links; no context processors (no CSRF)
        }
        html = render_to_string("assessments/dashboards/_clinic_overview.html", context)
        return html, overview_valid_until(clinic, today, now)

    # The same for every admin of the clinic: nothing in it is the viewer's own. The
    # query string is in the key because the pager's links repeat it.
    part = freshness.cached_part(
        "clinic-overview",
        (
            clinic.pk,
            user.role,
            get_language(),
            today,
            start,
            end,
            stale,
            page,
            request.GET.urlencode(),
        ),
        build,
        now=now,
    )
    context = {"overview_part": part, "errors": errors, "nav": "console", "section": "alliance"}
    audit.record_list_view(request, page="clinic_alliance")
    return render(request, "assessments/dashboards/clinic.html", context)
