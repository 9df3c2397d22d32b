from django.urls import path, re_path

from .api import views as api
from .views import access_request, api_keys, exports

app_name = "integrations"

urlpatterns = [
    # Exports (clinic admins: the clinic; therapists: their caseload)
    path("exports/", exports.exports, name="exports"),
    path("exports/jobs/<int:pk>/", exports.export_job, name="export_job"),
    path(
        "exports/jobs/<int:pk>/progress/", exports.export_job_progress, name="export_job_progress"
    ),
    path(
        "exports/jobs/<int:pk>/download/", exports.export_job_download, name="export_job_download"
    ),
    path(
        "exports/fhir/questionnaires.json", exports.fhir_questionnaires, name="fhir_questionnaires"
    ),
    path(
        "questionnaires/<str:pk>/fhir.json", exports.administration_fhir, name="administration_fhir"
    ),
    # Access requests (GDPR Art. 15; clinic admins)
    path(
        "console/clients/<int:pk>/access-request/",
        access_request.access_request_page,
        name="access_request",
    ),
    path(
        "console/clients/<int:pk>/access-request.json",
        access_request.access_request_json,
        name="access_request_json",
    ),
    path(
        "console/clients/<int:pk>/access-request.html",
        access_request.access_request_html,
        name="access_request_html",
    ),
    # API keys (clinic admins)
    path("console/api-keys/", api_keys.api_keys, name="api_keys"),
    path("console/api-keys/<int:pk>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
    # The read-only API (API keys, no sessions)
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    path("api/v1/clients", api.clients, name="api_clients"),
    path("api/v1/questionnaires", api.questionnaires, name="api_questionnaires"),
    path("api/v1/questionnaires/<str:pk>", api.questionnaire, name="api_questionnaire"),
    path("api/v1/fhir/QuestionnaireResponse", api.fhir_responses, name="api_fhir_responses"),
    path("api/v1/fhir/QuestionnaireResponse/<str:pk>", api.fhir_response, name="api_fhir_response"),
    path(
        "api/v1/fhir/Questionnaire/<str:code>",
        api.fhir_questionnaire,
        name="api_fhir_questionnaire",
    ),
    # Anything else under /api/ answers in JSON too.
    re_path(r"^api/(?P<rest>.*)$", api.not_found, name="api_not_found"),
]
