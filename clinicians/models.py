"""Clinics, staff users and the audit log.

Clients (patients) and caseloads are added by their own migration; nothing here assumes
their shape, so later migrations only add.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .text import single_line


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationError(
            _(
                "“%(value)s” is not a time zone name. Use a name such as Europe/London, "
                "America/New_York or Australia/Sydney."
            ),
            code="invalid_time_zone",
            params={"value": value[:80]},
        ) from exc


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Clinic settings. Form codes are plain strings: the instrument registry lives in
    # `assessments`, which this app must not import; `assessments` validates them.
    default_client_form = models.CharField(
        _("default client form"), max_length=60, default="wai-sr-client"
    )
    default_therapist_form = models.CharField(
        _("default therapist form"), max_length=60, default="wai-s-therapist"
    )
    invitation_expiry_days = models.PositiveSmallIntegerField(
        _("questionnaire links expire after (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    reminder_delay_days = models.PositiveSmallIntegerField(
        _("send one reminder after (days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    low_pomp_threshold = models.PositiveSmallIntegerField(
        _("flag totals below (POMP, 0–100)"),
        default=60,
        validators=[MaxValueValidator(100)],
    )
    low_rule = models.CharField(
        _("what counts as low"),
        max_length=20,
        choices=[
            ("threshold", _("Totals below the clinic's own threshold above")),
            (
                "lowest_decile",
                # xgettext:no-python-format
                _("The lowest 10 % of this clinic's clients on the same form"),
            ),
        ],
        default="threshold",
        help_text=_(
            # xgettext:no-python-format
            "No published cut-off exists for any WAI form: either choice is the clinic's "
            "own. The lowest 10 % is used for a form once 30 clients have answered it; "
            "until then the threshold above applies."
        ),
    )
    overdue_days = models.PositiveSmallIntegerField(
        _("flag as overdue after (days without a questionnaire)"),
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    # Session dates, "today", the overdue rule and the times on staff pages follow the
    # clinic's wall clock, not the server's (UTC).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("The clinic's time zone, e.g. Europe/London or Australia/Sydney."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # A name that the time zone database dropped since it was saved.
            return ZoneInfo(settings.TIME_ZONE)

    def today(self) -> date:
        return timezone.localdate(timezone=self.zone)


class Role(models.TextChoices):
    ADMIN = "admin", _("Clinic admin")
    THERAPIST = "therapist", _("Therapist")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("A staff user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password", "clinic"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        # Superusers run the server, not a clinic: they reach Django admin only.
        extra["is_staff"] = True
        extra["is_superuser"] = True
        extra.setdefault("role", Role.ADMIN)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in is case-insensitive on the email address.
        return self.get(email__iexact=(username or "").strip())


class User(AbstractBaseUser, PermissionsMixin):
    """A staff user: a clinic admin or a therapist. Clients never have an account."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=120,
        blank=True,
        help_text=_("Shown to clients on their questionnaire, e.g. 'Dr. Rivera'."),
        validators=[single_line],
    )
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        help_text=_("Every clinic admin and therapist belongs to exactly one clinic."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("Only superusers (operators) should have this."),
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # The interface language this person chose in the navigation; blank means the
    # browser's. No choices here: the list lives in settings.LANGUAGES and grows.
    language = models.CharField(_("interface language"), max_length=10, blank=True, default="")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [
            # A clinic admin or therapist without a clinic would see nothing and own
            # nothing; only operators (superusers) stand outside every clinic.
            models.CheckConstraint(
                condition=models.Q(clinic__isnull=False) | models.Q(is_superuser=True),
                name="staff_user_has_clinic_unless_superuser",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_clinic_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN and self.clinic_id is not None

    @property
    def is_therapist(self) -> bool:
        return self.is_active and self.role == Role.THERAPIST and self.clinic_id is not None

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email


class PatientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCHARGED = "discharged", _("Discharged")


class Patient(models.Model):
    """A client of the clinic (the UI says "client"). Never deleted: discharged instead."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    code = models.CharField(
        _("client code"),
        max_length=40,
        validators=[single_line],
        help_text=_("The clinic's own identifier for this client, unique within the clinic."),
    )
    display_name = models.CharField(_("name"), max_length=120, blank=True, validators=[single_line])
    email = models.EmailField(_("email"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, default="en", validators=[single_line]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_on = models.DateField(_("active since"), default=timezone.localdate)
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    # Set when the client's identity was erased on request (GDPR Art. 17): the name,
    # email and notes are blank and `code` is a pseudonym; answers and scores stay.
    erased_at = models.DateTimeField(_("identity erased at"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            # Codes are compared without regard to case: "c-01" and "C-01" are one client.
            models.UniqueConstraint("clinic", Lower("code"), name="client_code_unique_in_clinic"),
            models.CheckConstraint(
                condition=models.Q(status="active", discharged_on__isnull=True)
                | models.Q(status="discharged", discharged_on__isnull=False),
                name="client_discharge_date_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "status", "code"])]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == PatientStatus.ACTIVE


class CaseAssignment(models.Model):
    """One therapist treating one client for a stretch of time. History is kept for good."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assignments")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # The database, not the application, guarantees one current therapist, so
            # two admins assigning at the same moment cannot both win.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_therapist_per_client",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="assignment_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["therapist", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.patient} → {self.therapist}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class AuditEvent(models.Model):
    """One append-only line of the audit log: who did what to which record, and when.

    It never holds clinical values (answers, scores): only references to the objects.
    Rows are written by `clinicians.audit.record` and never updated or deleted by the
    application; see `save` and `delete` below.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the line still reads right if the actor is renamed.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    # The client a line concerns, when there is one, so a client's history is one query.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["patient", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("The audit log is append-only: an event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("The audit log is append-only: an event cannot be deleted.")


class ImportStatus(models.TextChoices):
    READY = "ready", _("Checked, waiting for confirmation")
    SAVING = "saving", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class ImportBatch(models.Model):
    """One uploaded spreadsheet of clients, between upload and confirmation.

    The parsed rows live here (not in a process's memory or a temporary file), so the
    preview survives a reload and any app server can confirm it.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.READY
    )
    # Normalised rows: {"line", "code", "name", "email", "language", "therapist_email",
    # "outcome" ("new" | "exists" | "error"), "errors": [...]}. Text only, as given.
    rows = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    new_rows = models.PositiveIntegerField(default=0)
    existing_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    assigned_count = models.PositiveIntegerField(default=0)
    confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When saving began: a batch stuck in "saving" (its process died, its transaction
    # rolled back) may be confirmed again after a while.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    # When the retention job blanked the names and emails of its rows (codes stay, so
    # the batch still says what it did).
    identity_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.get_status_display()})"


class StaffInvitation(models.Model):
    """An invitation to join one clinic as a therapist, recorded per clinic.

    The account is made only when the invitation is accepted. So inviting an address
    answers the same whether or not it has an account anywhere, and a clinic that
    invites an address first holds nothing against another clinic inviting it too;
    the person decides by accepting one (an account belongs to one clinic).
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("email address"))
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # SHA-256 of the link's token; a new token (and link) with every sending.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["email", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "clinic",
                condition=models.Q(accepted_at__isnull=True),
                name="one_open_invitation_per_clinic_and_email",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_live(self) -> bool:
        """Not accepted, and sent no longer ago than an invitation lasts."""
        days = int(getattr(settings, "ALLIANCE_INVITATION_DAYS", 7))
        age = timezone.now() - self.sent_at
        return self.accepted_at is None and age <= timedelta(days=days)


class BackgroundRun(models.Model):
    """The latest run of one kind of background work, for the console's panel.

    In the database, not in a worker's memory, so that every app server shows the same
    and a restarted worker does not forget that reminders have been failing.
    """

    name = models.CharField(max_length=60, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # A plain sentence for the admin (never an exception's text: it may name a client).
    last_failure = models.CharField(max_length=300, blank=True)
    last_result = models.CharField(max_length=300, blank=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
