from django.urls import path

from .views import (
    account,
    audit,
    background,
    clients,
    imports,
    invitations,
    overview,
    second_factor,
    therapists,
)

app_name = "clinicians"

urlpatterns = [
    path("console/", overview.console, name="console"),
    # Therapists
    path("console/therapists/", therapists.therapists, name="therapists"),
    path("console/therapists/invite/", therapists.therapist_invite, name="therapist_invite"),
    path(
        "console/therapists/<int:pk>/deactivate/",
        therapists.therapist_deactivate,
        name="therapist_deactivate",
    ),
    path(
        "console/therapists/<int:pk>/reactivate/",
        therapists.therapist_reactivate,
        name="therapist_reactivate",
    ),
    path(
        "console/therapists/<int:pk>/transfer/",
        therapists.therapist_transfer,
        name="therapist_transfer",
    ),
    path(
        "console/therapists/<int:pk>/second-factor/",
        therapists.therapist_second_factor_reset,
        name="therapist_second_factor_reset",
    ),
    # Clients
    path("console/clients/", clients.clients, name="clients"),
    path("console/clients/new/", clients.client_new, name="client_new"),
    path("console/clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("console/clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("console/clients/<int:pk>/discharge/", clients.client_discharge, name="client_discharge"),
    path(
        "console/clients/<int:pk>/reactivate/", clients.client_reactivate, name="client_reactivate"
    ),
    path("console/clients/<int:pk>/assign/", clients.client_assign, name="client_assign"),
    path("console/clients/<int:pk>/erase/", clients.client_erase, name="client_erase"),
    # Import
    path("console/import/", imports.import_upload, name="import_upload"),
    path("console/import/<int:pk>/", imports.import_batch, name="import_batch"),
    path("console/import/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    # Background work (periodic tasks)
    path("console/background/", background.background_work, name="background"),
    # Audit log
    path("console/audit/", audit.audit_log, name="audit"),
    # Second factor: set-up, the code page, recovery codes, the account's security page.
    path("accounts/two-factor/setup/", second_factor.enrol, name="second_factor_enrol"),
    path("accounts/two-factor/", second_factor.verify, name="second_factor_verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        second_factor.recovery_codes,
        name="recovery_codes",
    ),
    path("accounts/security/", second_factor.account_security, name="account_security"),
    path(
        "accounts/security/recovery-codes/",
        second_factor.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    # A staff user's interface language (the switch in the navigation).
    path("accounts/language/", account.language_choose, name="language_choose"),
    # Public: an invited therapist chooses a password.
    path(
        "accounts/invitation/set-password/",
        invitations.invitation_set_password,
        name="invitation_set_password",
    ),
    path(
        "accounts/invitation/<str:token>/",
        invitations.invitation_accept,
        name="invitation_accept",
    ),
]
