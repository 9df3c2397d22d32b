"""Questionnaires: administrations, their links, responses, answers and scores.

An administration is one request for one form, for one client and occasion, filled in
once. A response is what was filled in; a staff correction adds a new version and keeps
the old one. Scores are stored with each response so dashboards read them directly.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicians.models import Clinic, Patient, User
from clinicians.text import single_line


class Rater(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")


class OccasionKind(models.TextChoices):
    INTAKE = "intake", _("Intake")
    SESSION = "session", _("Session")
    DISCHARGE = "discharge", _("Discharge")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    LINK = "link", _("Link")
    KIOSK = "kiosk", _("Waiting-room kiosk")
    PAPER = "paper", _("Paper form, entered by staff")
    SELF = "self", _("Therapist's own rating")
    CORRECTION = "correction", _("Staff correction")


class AdministrationStatus(models.TextChoices):
    OPEN = "open", _("Waiting for answers")
    COMPLETED = "completed", _("Completed")
    REVOKED = "revoked", _("Withdrawn")


def occasion_label(kind: str, session_number: int | None, note: str) -> str:
    """How an occasion is shown: "Session 4", "Intake", or the note for "Other"."""
    if kind == OccasionKind.SESSION:
        return str(_("Session %(n)s")) % {"n": session_number}
    if kind == OccasionKind.OTHER and note:
        return note
    return str(OccasionKind(kind).label) if kind in OccasionKind.values else kind


class AdministrationQuerySet(models.QuerySet["Administration"]):
    def open_now(self) -> AdministrationQuerySet:
        """Open and not past its expiry: the only ones a client may fill in."""
        return self.filter(status=AdministrationStatus.OPEN, expires_at__gt=timezone.now())


class Administration(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="administrations")
    # The therapist whose alliance is rated (named on the client's page).
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="administrations")
    form_code = models.CharField(max_length=60)
    rater = models.CharField(max_length=10, choices=Rater.choices)
    occasion = models.CharField(max_length=12, choices=OccasionKind.choices)
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    occasion_note = models.CharField(max_length=80, blank=True, validators=[single_line])
    session_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=AdministrationStatus.choices, default=AdministrationStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kiosk short code: 6 characters without look-alikes, valid for 30 minutes.
    # NULL, not "", when there is none: the unique constraint ignores NULLs only.
    short_code = models.CharField(max_length=8, null=True, blank=True)  # noqa: DJ001
    short_code_expires_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The last email (link or reminder) that could not be sent, and why in plain words;
    # shown on the questionnaire's page so the therapist can reach the client otherwise.
    email_failed_at = models.DateTimeField(null=True, blank=True)
    email_failure = models.CharField(max_length=200, blank=True)
    # A therapist's rating points at the client's administration of the same occasion.
    linked_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="linked_ratings"
    )
    # Set with its first link (a paper form or a therapist's rating has none): the clinic
    # overview counts "sent" questionnaires by this mark, not by a join with the links.
    # A default in the database too, so the release before it can still insert rows.
    sent_by_link = models.BooleanField(default=False, db_default=False)

    objects = AdministrationQuerySet.as_manager()

    class Meta:
        ordering = ["-session_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "short_code"],
                condition=models.Q(short_code__isnull=False),
                name="short_code_unique_in_clinic",
            ),
            models.CheckConstraint(
                condition=~models.Q(occasion="session") | models.Q(session_number__isnull=False),
                name="session_occasion_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-session_date"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["therapist", "status"]),
            # The clinic overview counts questionnaires sent in a period.
            models.Index(fields=["clinic", "rater", "created_at"]),
            # The overdue check looks for a client's open links.
            models.Index(fields=["patient", "status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.form_code} for {self.patient} ({self.occasion_label})"

    @property
    def occasion_label(self) -> str:
        return occasion_label(self.occasion, self.session_number, self.occasion_note)

    @property
    def is_expired(self) -> bool:
        return self.status == AdministrationStatus.OPEN and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """open / completed / revoked / expired, as people say it."""
        return "expired" if self.is_expired else self.status


class AccessLink(models.Model):
    """A questionnaire link. Only the SHA-256 of its token is stored.

    An administration may have several live links (the first one, and the one in a
    reminder email): the raw token cannot be recovered, so a reminder needs a new one.
    """

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    purpose = models.CharField(max_length=20, default="link")

    def __str__(self) -> str:
        return f"link for administration {self.administration_id}"


class Response(models.Model):
    """One filled-in questionnaire, with its scores. Versions never change in place."""

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="responses"
    )
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    submitted_at = models.DateTimeField(default=timezone.now)
    # Staff who typed it in (paper, own rating, correction); null when the client did.
    entered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.CharField(max_length=300, blank=True)

    answered = models.PositiveSmallIntegerField()
    items = models.PositiveSmallIntegerField()
    complete = models.BooleanField()
    prorated = models.BooleanField()
    goal_sum = models.FloatField(null=True)
    goal_mean = models.FloatField(null=True)
    goal_pomp = models.FloatField(null=True)
    task_sum = models.FloatField(null=True)
    task_mean = models.FloatField(null=True)
    task_pomp = models.FloatField(null=True)
    bond_sum = models.FloatField(null=True)
    bond_mean = models.FloatField(null=True)
    bond_pomp = models.FloatField(null=True)
    total_sum = models.FloatField(null=True)
    total_mean = models.FloatField(null=True)
    total_pomp = models.FloatField(null=True)

    class Meta:
        ordering = ["administration", "-version"]
        constraints = [
            # One response per administration: a client's submission is always
            # version 1, so a second one (double click, two tabs) cannot be stored.
            models.UniqueConstraint(
                fields=["administration", "version"], name="one_response_version_per_number"
            ),
            models.UniqueConstraint(
                fields=["administration"],
                condition=models.Q(is_current=True),
                name="one_current_response_per_administration",
            ),
        ]
        indexes = [models.Index(fields=["administration", "is_current"])]

    def __str__(self) -> str:
        return f"response v{self.version} to {self.administration_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Answers and scores are immutable once stored; only the is_current flag moves,
        # and only through `response_correct` with update_fields=["is_current"].
        if self.pk is not None and kwargs.get("update_fields") != ["is_current"]:
            raise RuntimeError("A stored response cannot be edited; record a correction.")
        super().save(*args, **kwargs)


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="answers")
    item = models.PositiveSmallIntegerField()
    value = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["response", "item"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="one_answer_per_item"),
        ]

    def __str__(self) -> str:
        return f"item {self.item} = {self.value}"


class KioskDevice(models.Model):
    """A waiting-room tablet enrolled by a clinic admin; recognised by a cookie."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80, validators=[single_line])
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Throttle(models.Model):
    """A counter for rate limits, in the database so every app process shares it."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_throttle_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"


class AllianceSummary(models.Model):
    """Each client's latest scores and flags, kept up to date on every write.

    Dashboards read this one row per client instead of every questionnaire, so the
    caseload and clinic pages cost the same whatever the history. It is derived data:
    `refresh_alliance` rebuilds it from the responses at any time.
    """

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="alliance")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    latest = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    form_code = models.CharField(max_length=60, blank=True)
    session_date = models.DateField(null=True, blank=True)
    occasion_label = models.CharField(max_length=80, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    total_mean = models.FloatField(null=True, blank=True)
    total_pomp = models.FloatField(null=True, blank=True)
    goal_pomp = models.FloatField(null=True, blank=True)
    task_pomp = models.FloatField(null=True, blank=True)
    bond_pomp = models.FloatField(null=True, blank=True)
    change = models.FloatField(null=True, blank=True)  # POMP points since the previous one
    change_rci = models.FloatField(null=True, blank=True)
    change_reliable = models.BooleanField(default=False)
    trend = models.JSONField(default=list, blank=True)  # the last total POMPs, oldest first
    dropping = models.BooleanField(default=False)
    rupture = models.BooleanField(default=False)
    first_dip = models.BooleanField(default=False)
    # Per flag shown: the questionnaire that raised it and the numbers behind it (drop,
    # RCI, threshold, norms used, dropped items), from alliance.rules.analyse().
    flag_details = models.JSONField(default=dict, blank=True)
    norms_clients = models.PositiveIntegerField(default=0)  # 0: the default norms
    therapist_pomp = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)  # therapist minus client, same occasion
    questionnaires = models.PositiveIntegerField(default=0)
    # Acting on flags: the session date of the latest questionnaire that raised a rule
    # flag shown now (which one it was is in flag_details, by response id); the
    # discussion that covers those flags (marked at or after that questionnaire), and
    # whether it was marked on the latest questionnaire (which covers "low" and
    # "different views", judged on the latest questionnaire). Stored so the caseload
    # and the overview's 14-day filter read them with the row.
    flag_raised_on = models.DateField(null=True, blank=True)
    discussion = models.ForeignKey(
        "FlagDiscussion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discussed_latest = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["clinic", "total_pomp"])]

    def __str__(self) -> str:
        return f"alliance of {self.patient_id}"


class FormNorms(models.Model):
    """A clinic's own spread and reliability of one form's totals (for reliable change),
    from one questionnaire per client, and the pooled SD of session-to-session changes."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    form_code = models.CharField(max_length=60)
    n = models.PositiveIntegerField()  # distinct clients (one questionnaire each)
    sd_pomp = models.FloatField(null=True)
    alpha = models.FloatField(null=True)
    # "Low" as the lowest 10 % of the clinic's clients on this form: the 10th percentile
    # of one questionnaire per client (each client's latest complete one), and how many
    # clients it comes from; used only once there are enough (see alliance.low).
    low_cutoff_pomp = models.FloatField(null=True, blank=True)
    low_cutoff_clients = models.PositiveIntegerField(default=0)
    change_sd_pomp = models.FloatField(null=True)
    change_clients = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "form_code"], name="one_norm_per_form")
        ]

    def __str__(self) -> str:
        return f"{self.form_code} norms for clinic {self.clinic_id}"


class FlagDiscussion(models.Model):
    """A therapist or admin marked a client's flags as discussed with the client.

    Tied to the client questionnaire that carried the flags when they were marked; the
    flags leave the caseload's attention list until a later questionnaire raises a new
    one. Clinical record: never deleted, never edited (one per questionnaire). The note
    is clinical text, shown only to the clinic's staff and never written to the audit log.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="discussions")
    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, related_name="discussion"
    )
    # The version of the answers the flags came from (a later correction adds a version).
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="+")
    flags = models.JSONField(default=list)  # the flag codes shown when it was marked
    note = models.TextField(blank=True)
    discussed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    discussed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-discussed_at"]

    def __str__(self) -> str:
        return f"flags of administration {self.administration_id} discussed"


# The overview's counts and the schedules' models live in their own modules; imported
# here so Django registers them.
from .alliance.counts.models import SentCount  # noqa: E402, F401
from .schedules.models import (  # noqa: E402, F401
    ClinicSchedule,
    OccasionState,
    Schedule,
    ScheduledOccasion,
    ScheduleStatus,
)
