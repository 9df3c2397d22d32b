"""The clinic's audit log, for its admins: newest first, by client or by actor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .. import audit
from ..access import admin_required
from ..forms import AuditFilterForm
from ..models import AuditEvent, Patient, User
from ..selectors import audit_events, staff_of
from .common import paginate, render_console

# Detail keys that hold a staff user's id; shown as their name.
STAFF_KEYS = ("therapist", "previous_therapist")


def describe(event: AuditEvent, names: dict[int, str]) -> list[tuple[str, Any]]:
    """The event's detail as (label, value) pairs a person can read."""
    out: list[tuple[str, Any]] = []
    for key, value in (event.detail or {}).items():
        if key in STAFF_KEYS and isinstance(value, int):
            value = names.get(value, value)
        elif key == "to" and isinstance(value, dict):
            value = ", ".join(
                f"{count} → {names.get(int(pk), pk)}"
                for pk, count in value.items()
                if pk.isascii() and pk.isdigit()
            )
        elif key == "fields" and isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value is None or value == "":
            continue
        out.append((key.replace("_", " "), value))
    return out


def subject(event: AuditEvent, names: dict[int, str]) -> str:
    """What the line is about, when it is not a client (clients have their own column)."""
    if event.patient_id or not event.object_type:
        return ""
    if event.object_type == "user" and event.object_id.isascii() and event.object_id.isdigit():
        return names.get(int(event.object_id), _("staff user %(id)s") % {"id": event.object_id})
    if event.object_type == "importbatch":
        return _("import %(id)s") % {"id": event.object_id}
    return f"{event.object_type} {event.object_id}"


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    staff = staff_of(user)
    form = AuditFilterForm(request.GET or None, staff=staff)
    patient: Patient | None = None
    actor: User | None = None
    not_found = False
    if form.is_valid():
        actor = form.cleaned_data["actor"]
        code = form.cleaned_data["client"].strip()
        if code:
            patient = Patient.objects.filter(clinic_id=user.clinic_id, code__iexact=code).first()
            not_found = patient is None
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    events = audit_events(user, patient=patient, actor=actor, kind=kind)
    page = paginate(request, events.none() if not_found else events)
    names = {s.pk: str(s) for s in staff}
    rows = [
        (e, audit.action_label(e.action), subject(e, names), describe(e, names))
        for e in page.object_list
    ]
    audit.record_list_view(request, page="audit_log")
    return render_console(
        request,
        "clinicians/console/audit.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "patient": patient,
            "not_found": not_found,
        },
        section="audit",
    )
