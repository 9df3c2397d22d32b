"""Everything held about one client, for an access request (GDPR Art. 15).

One document: the client's details, their therapists over time, their schedules with
every due time recorded, every questionnaire with every stored version of its answers
and scores, and the audit lines about them.
The same document is downloaded as JSON and shown as a readable page. A fixed number
of queries, whatever the history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Administration, Answer, Response
from assessments.schedules.models import Schedule, ScheduledOccasion
from assessments.scoring.definitions import render_item_text
from assessments.scoring.registry import get_registry
from clinicians.audit import action_label
from clinicians.models import AuditEvent, CaseAssignment, Patient

FORMAT_VERSION = 2  # 2: schedules added
PARTS = ("goal", "task", "bond", "total")
FIGURES = ("sum", "mean", "pomp")


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _answers(response: Response, therapist_name: str) -> list[dict[str, Any]]:
    texts: dict[int, str] = {}
    if response.administration.form_code in get_registry():
        form = get_registry().get(response.administration.form_code)
        texts = {i.number: render_item_text(i.text, therapist_name) for i in form.items}
    return [
        {"item": a.item, "text": texts.get(a.item, ""), "value": a.value}
        for a in response.answers.all()
    ]


def _response(response: Response, therapist_name: str) -> dict[str, Any]:
    return {
        "version": response.version,
        "current": response.is_current,
        "channel": response.channel,
        "submitted_at": _when(response.submitted_at),
        "entered_by": str(response.entered_by) if response.entered_by else None,
        "correction_reason": response.correction_reason,
        "answered": response.answered,
        "items": response.items,
        "complete": response.complete,
        # {"goal": {"sum", "mean", "pomp"}, "task": …, "bond": …, "total": …}
        "scores": {
            part: {figure: getattr(response, f"{part}_{figure}") for figure in FIGURES}
            for part in PARTS
        },
        "answers": _answers(response, therapist_name),
    }


def _occasion(occasion: ScheduledOccasion, zone: Any) -> dict[str, Any]:
    return {
        # In clinic time, with its offset: the time the schedule names.
        "due_at": timezone.localtime(occasion.due_at, zone).isoformat(),
        "state": occasion.state,
        "what_happened": str(occasion.get_state_display()),
        "questionnaire": occasion.administration_id,  # an id under "questionnaires"
        "email_attempts": occasion.attempts,
        "emailed_at": _when(occasion.sent_at),
        "email_failure": occasion.failure,
    }


def _schedules(patient: Patient) -> list[dict[str, Any]]:
    occasions = ScheduledOccasion.objects.order_by("due_at", "pk")
    schedules = (
        Schedule.objects.filter(patient=patient)
        .select_related("created_by")
        .prefetch_related(Prefetch("occasions", queryset=occasions))
        .order_by("created_at", "pk")
    )
    zone = patient.clinic.zone
    return [
        {
            "id": s.pk,
            "rule": " ".join(
                render_to_string("assessments/schedules/_cadence.html", {"c": s}).split()
            ),
            "form": s.form_code,
            "every": s.every,
            "unit": s.unit,
            "weekday": s.weekday,  # 0 = Monday
            "local_time": s.local_time.strftime("%H:%M"),
            "times": s.times,
            "with_therapist_rating": s.with_therapist_rating,
            "first_date": _when(s.starts_on),
            "status": s.status,
            "started_at": _when(s.created_at),
            # None: started by no signed-in person (e.g. a command-line import).
            "started_by": str(s.created_by) if s.created_by else None,
            "ended_at": _when(s.ended_at),
            "ended_because": s.ended_reason_text,
            "occasions": [_occasion(o, zone) for o in s.occasions.all()],
        }
        for s in schedules
    ]


def access_request(patient: Patient) -> dict[str, Any]:
    """The whole document for `patient` (the caller has checked who may see it)."""
    assignments = (
        CaseAssignment.objects.filter(patient=patient)
        .select_related("therapist", "assigned_by")
        .order_by("started_at", "pk")
    )
    responses = (
        Response.objects.select_related("entered_by", "administration")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.order_by("item")))
        .order_by("version")
    )
    administrations = (
        Administration.objects.filter(patient=patient)
        .select_related("therapist", "created_by")
        .prefetch_related(Prefetch("responses", queryset=responses))
        .order_by("session_date", "created_at", "pk")
    )
    events = AuditEvent.objects.filter(patient=patient).order_by("at", "pk")
    return {
        "format": "alliance-access-request",
        "format_version": FORMAT_VERSION,
        "made_at": timezone.now().isoformat(),
        "clinic": patient.clinic.name,
        "client": {
            "code": patient.code,
            "name": patient.display_name,
            "email": patient.email,
            "preferred_language": patient.preferred_language,
            "status": patient.status,
            "added_at": _when(patient.created_at),
            "active_since": _when(patient.activated_on),
            "discharged_on": _when(patient.discharged_on),
            "identity_erased_at": _when(patient.erased_at),
        },
        "therapists": [
            {
                "therapist": str(a.therapist),
                "from": _when(a.started_at),
                "until": _when(a.ended_at),
                "assigned_by": str(a.assigned_by) if a.assigned_by else None,
            }
            for a in assignments
        ],
        "schedules": _schedules(patient),
        "questionnaires": [
            {
                "id": a.pk,
                "form": a.form_code,
                "rater": a.rater,
                "therapist": str(a.therapist),
                "occasion": a.occasion_label,
                "session_date": _when(a.session_date),
                "status": a.state,
                "asked_at": _when(a.created_at),
                "asked_by": str(a.created_by),
                "completed_at": _when(a.completed_at),
                "emailed_at": _when(a.emailed_at),
                "reminder_sent_at": _when(a.reminder_sent_at),
                "responses": [_response(r, str(a.therapist)) for r in a.responses.all()],
            }
            for a in administrations
        ],
        "audit_log": [
            {
                "at": _when(e.at),
                "who": e.actor_label,
                "action": e.action,
                "what": action_label(e.action),
                "object": f"{e.object_type} {e.object_id}".strip(),
                "address": e.ip,
            }
            for e in events
        ],
    }
