"""API keys for integrations, and background exports too big to download at once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicians.models import Clinic, User
from clinicians.text import single_line


class Scope(models.TextChoices):
    CLIENTS_READ = "clients:read", _("Read the list of clients (codes, status, therapist)")
    SCORES_READ = "scores:read", _("Read completed questionnaires: answers and scores")


class ApiKey(models.Model):
    """A clinic's key for the read-only API. Only the SHA-256 of the key is stored.

    The key is shown once, when it is made. `prefix` is its first characters, kept in
    clear so that the admin and the audit log can tell keys apart without the secret.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80, validators=[single_line])
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def label(self) -> str:
        """How the audit log names the key (never the secret)."""
        return f"api key {self.prefix}"

    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) if s in Scope.values else s for s in self.scopes]


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (UTF-8)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    NDJSON = "ndjson", _("FHIR R4 QuestionnaireResponse (NDJSON)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Deleted after a day")


# `ExportJob.failure` of a job failed because a client's identity was erased while its
# file was being written (a code, so the page words it in the reader's language).
ERASED_MEANWHILE = "client_erased_meanwhile"


class ExportJob(models.Model):
    """An export too big to stream at once: written in the background, with progress.

    Its rows are chosen again when it runs, through the same visibility rule as a
    direct download, as the user who asked for it (a therapist gets their caseload as
    it is then). The finished file is deleted after ALLIANCE_EXPORT_KEEP_HOURS.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    # Filters as given: therapist_id, form_code, date_from, date_to (ISO), pseudonymised.
    params = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on every chunk; a running job whose heartbeat stops was abandoned by a dead
    # process and is queued again by `run_exports`.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # inside the export folder
    download_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"

    @property
    def stopped_by_erasure(self) -> bool:
        return self.status == ExportStatus.FAILED and self.failure == ERASED_MEANWHILE

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.done_rows / self.total_rows))
