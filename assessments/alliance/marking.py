"""Marking a client's flags "discussed": the one write behind the chart's form.

See `alliance.discussions` for what a discussion covers and how the caseload reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.alliance.discussions import QUESTIONNAIRE_FLAGS
from assessments.alliance.summaries import refresh_alliance
from clinicians import audit
from clinicians.models import Patient, User

from ..models import Administration, FlagDiscussion, Rater, Response

NOTE_MAX = 2000


class DiscussionError(Exception):
    """Why the flags could not be marked, in words for the page."""


@dataclass(frozen=True)
class Marked:
    discussion: FlagDiscussion
    created: bool


def flags_discuss(
    *,
    actor: User,
    patient: Patient,
    administration_id: int,
    flags: Sequence[str],
    note: str = "",
    request: HttpRequest | None = None,
) -> Marked:
    """Mark the client's current flags discussed, on their latest client questionnaire.

    `administration_id` is the questionnaire the page showed: if a newer one has arrived
    since, nothing is marked (its flags have not been seen). A second mark for the same
    questionnaire changes nothing and returns the first.
    """
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise DiscussionError(
            _("The note is too long: at most %(n)s characters.") % {"n": NOTE_MAX}
        )
    if not patient.is_active:
        raise DiscussionError(_("This client has been discharged; their flags stay as they are."))
    codes = [c for c in flags if c in QUESTIONNAIRE_FLAGS]
    if not codes:
        raise DiscussionError(_("This client has no flag to mark as discussed."))
    with transaction.atomic():
        # Lock the client so two marks at once cannot both pass the checks below.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        latest = (
            Response.objects.filter(
                is_current=True,
                total_pomp__isnull=False,
                administration__patient=patient,
                administration__rater=Rater.CLIENT,
            )
            .select_related("administration")
            .order_by("-administration__session_date", "-submitted_at")
            .first()
        )
        if latest is None or latest.administration_id != administration_id:
            raise DiscussionError(
                _(
                    "A newer questionnaire has arrived since this page was opened. "
                    "Look at its scores, then mark the flags again."
                )
            )
        existing = FlagDiscussion.objects.filter(administration_id=administration_id).first()
        if existing is not None:
            return Marked(existing, created=False)
        administration: Administration = latest.administration
        discussion = FlagDiscussion.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            administration=administration,
            response=latest,
            flags=codes,
            note=note,
            discussed_by=actor,
            discussed_at=timezone.now(),
        )
        audit.record(
            action="flags_discussed",
            actor=actor,
            obj=discussion,
            patient=patient,
            request=request,
            # Which flags and whether a note was written; never the note itself.
            detail={
                "administration": administration.pk,
                "flags": codes,
                "with_note": bool(note),
            },
        )
        refresh_alliance(patient_ids=[patient.pk])
    return Marked(discussion, created=True)
