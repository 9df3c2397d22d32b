"""Django admin, for operators (superusers) only; clinics use Alliance's own console."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import AuditEvent, CaseAssignment, Clinic, ImportBatch, Patient, User


def _superuser_only(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_superuser):
        return False
    # Like OTPAdminSite: a password alone does not open the operator admin.
    return bool(not settings.ALLIANCE_REQUIRE_2FA or user.is_verified())  # type: ignore[attr-defined]


# is_staff alone is not enough: only an operator account, signed in with its second
# factor, reaches Django admin.
admin.site.has_permission = _superuser_only  # type: ignore[method-assign]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "clinic", "role", "is_active", "is_superuser")
    list_filter = ("role", "is_active", "clinic")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "clinic", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "clinic", "role", "password1", "password2")},
        ),
    )
    filter_horizontal = ()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "clinic", "ip")
    list_filter = ("action",)

    # Read-only: the audit log is append-only for everyone, operators included.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadMostlyAdmin(admin.ModelAdmin):
    """Operators may look; clinics change these through the console, which audits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(ReadMostlyAdmin):
    list_display = ("code", "clinic", "status", "activated_on", "discharged_on")
    list_filter = ("status", "clinic")
    search_fields = ("code",)


@admin.register(CaseAssignment)
class CaseAssignmentAdmin(ReadMostlyAdmin):
    list_display = ("patient", "therapist", "started_at", "ended_at")
    list_select_related = ("patient", "therapist")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadMostlyAdmin):
    list_display = ("created_at", "clinic", "created_by", "status", "total_rows", "created_count")
    list_filter = ("status",)
    exclude = ("rows",)  # client names and emails: not for the operator's eyes
