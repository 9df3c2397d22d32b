from django.urls import path

from .views import audit, clients, imports, invitations, overview, therapists

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
    # Audit log
    path("console/audit/", audit.audit_log, name="audit"),
    # Public: an invited therapist chooses a password.
    path(
        "accounts/invitation/<uidb64>/<token>/",
        invitations.invitation_accept,
        name="invitation_accept",
    ),
]
