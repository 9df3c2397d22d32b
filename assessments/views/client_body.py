"""The client page's body: the schedule, the chart with its table, and the questionnaires.

It is most of the page's work (60 questionnaires: three drawings of the chart, two
tables of 60 rows) and the same for every viewer but for one thing: whether the viewer
is the client's own therapist (the schedule offers "add your own rating"). So it is kept
in the shared cache (alliance_site.freshness) per client, language, time zone, the
clinic's date and that one fact, and rebuilt after any write.

What stays outside: the "mark as discussed" form (it holds a CSRF token), the flags now
(the overdue flag changes with the clock), the messages and the page around it.

Everything the body shows is read inside `build`, after the cache's data version: a
client or clinic read before it could be older than the version it would be stored
under.
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from alliance_site.freshness import cached_part
from assessments.alliance.charts import chart_title, responsive_chart
from assessments.alliance.history import client_history
from assessments.alliance.low import low_rule_for
from assessments.alliance.wording import norms_text
from assessments.questionnaires.selectors import client_questionnaires
from assessments.schedules.selectors import client_schedule
from assessments.scoring.registry import get_registry
from clinicians.models import Clinic, Patient

from ..models import AdministrationStatus
from .client_tables import history_rows, questionnaire_rows

TEMPLATE = "assessments/staff/_client_body.html"
# The chart's figure, in the body exactly when there is a chart to draw.
CHART_FIGURE = '<figure class="chart-figure">'


def has_chart(body: str) -> bool:
    """Whether the body drew a chart (the flags section explains "low" itself when not)."""
    return CHART_FIGURE in body


def client_page_body(patient_id: int, *, is_own_client: bool, clinic: Clinic) -> SafeString:
    """The body for this client, from the cache or rendered now. `clinic` is the
    viewer's (and the client's): only its date and time zone are read here."""
    now = timezone.now()
    parts = (
        patient_id,
        is_own_client,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        clinic.today().isoformat(),
    )
    return cached_part(
        "client-body", parts, lambda: render_body(patient_id, is_own_client, now), now=now
    )


def render_body(patient_id: int, is_own_client: bool, now: datetime) -> tuple[str, datetime | None]:
    """The body's HTML, and the moment it stops being right by itself: the next open
    questionnaire expiring (it then reads "Expired") or the next scheduled one falling due."""
    patient = Patient.objects.select_related("clinic").get(pk=patient_id)
    clinic = patient.clinic
    low = low_rule_for(clinic)
    history = client_history(patient, clinic, low=low, with_current=False)
    chart = responsive_chart(
        history.client_points,
        history.therapist_points,
        low=low,
        title=chart_title(patient.code),
    )
    points = history.client_points
    latest_clients = points[-1][1].details.get("norms_clients", 0) if points else 0
    administrations = client_questionnaires(patient)
    scheduled = client_schedule(patient)
    registry = get_registry()
    context = {
        "patient": patient,
        "chart": chart,
        "history": history,
        "latest_norms": norms_text(int(latest_clients or 0)),
        "administrations": administrations,
        "history_rows": history_rows(history.rows),
        "questionnaire_rows": questionnaire_rows(administrations, registry),
        "scheduled": scheduled,
        "is_own_client": is_own_client,
    }
    changes = [
        a.expires_at
        for a in administrations
        if a.status == AdministrationStatus.OPEN and a.expires_at > now
    ]
    if scheduled.schedule is not None and scheduled.schedule.next_due_at is not None:
        changes.append(scheduled.schedule.next_due_at)
    until = min((t for t in changes if t > now), default=None)
    return render_to_string(TEMPLATE, context), until
