"""A client's schedule, the clinic's default one, and one row per due time.

Imported by `assessments.models`, so Django registers them with the app. A due time is
a row with a unique (schedule, due_at): whatever runs at once, one due time can only
ever be recorded, and so asked for, once.
"""

from __future__ import annotations

from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicians.models import Clinic, Patient, User

from ..models import Administration
from ..scoring.registry import get_registry


class Unit(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Cadence(models.Model):
    """What a schedule asks for and how often; shared by a client's and the clinic's."""

    form_code = models.CharField(_("form"), max_length=60)
    with_therapist_rating = models.BooleanField(
        _("remind the therapist to add their own rating of the same occasion"), default=False
    )
    every = models.PositiveSmallIntegerField(
        _("every"), default=1, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices, default=Unit.WEEKS)
    weekday = models.PositiveSmallIntegerField(
        _("on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    local_time = models.TimeField(_("at (clinic time)"), default=time(9, 0))
    # NULL: until discharge.
    times = models.PositiveSmallIntegerField(
        _("how many times"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        abstract = True

    @property
    def form_title(self) -> str:
        registry = get_registry()
        return registry.get(self.form_code).title if self.form_code in registry else self.form_code


class ClinicSchedule(Cadence):
    """The schedule each new client of the clinic starts with (when switched on)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("give new clients this schedule"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"default schedule of clinic {self.clinic_id}"


class ScheduleStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


# Why a schedule ended (`Schedule.ended_reason`), in words for the client's record.
ENDED_REASONS = {
    "replaced": _("replaced by a new schedule"),
    "stopped": _("stopped by staff"),
    "discharged": _("the client was discharged"),
    "erased": _("the client's identity was erased"),
    "completed": _("all its questionnaires were asked for"),
}


class Schedule(Cadence):
    """One client's schedule. The therapist is not stored: each questionnaire goes under
    the client's therapist at its due time, so a transfer moves the schedule along."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="schedules")
    status = models.CharField(
        max_length=8, choices=ScheduleStatus.choices, default=ScheduleStatus.ACTIVE
    )
    starts_on = models.DateField(_("first date"))
    # The next due time (UTC); NULL once ended. Kept on the row so that the caseload reads
    # it with the client, and the run finds due schedules through one index.
    next_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_active_schedule_per_client",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_due_at"])]

    def __str__(self) -> str:
        return f"schedule {self.pk} of {self.patient_id}"

    @property
    def ended_reason_text(self) -> str:
        return str(ENDED_REASONS.get(self.ended_reason, self.ended_reason))


class OccasionState(models.TextChoices):
    # Created, email not sent yet (or to be tried again).
    PENDING = "pending", _("Email to be sent")
    SENDING = "sending", _("Email being sent")
    SENT = "sent", _("Emailed")
    # No email address: open on the caseload for a kiosk code or a link in person.
    WAITING = "waiting", _("Waiting on the caseload (no email address)")
    COVERED = "covered", _("Answered shortly before: not asked again")
    ALREADY_OPEN = "already_open", _("A questionnaire was already open: not asked again")
    SKIPPED = "skipped", _("Skipped: the client had no therapist")
    FAILED = "failed", _("Email failed")
    # The questionnaire was withdrawn (discharge, erasure, by hand) before its email went.
    WITHDRAWN = "withdrawn", _("Withdrawn before the email was sent")


class ScheduledOccasion(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="occasions")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=OccasionState.choices)
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="one_occasion_per_due_time")
        ]
        indexes = [models.Index(fields=["state", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.due_at:%Y-%m-%d %H:%M} ({self.state})"
